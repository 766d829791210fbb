"""The version the simulator reports (get_version, --help).

``build_archive.py --version X.Y.Z`` rewrites this file inside the archive it
builds; the copy in the source tree holds the default, the last 1.4 release.
"""

VERSION = "1.4.111"
