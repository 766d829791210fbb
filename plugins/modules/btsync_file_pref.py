#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_file_pref
short_description: Choose which files a selective-sync BitTorrent Sync / Resilio Sync folder downloads
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - On a folder added with C(selective_sync=true) (see M(syncops.btsync.btsync_folder)), Sync downloads only the files
    and directories marked for download. This module marks, or unmarks, one or several of them.
  - Each file is looked up in the folder's listing (C(get_files)) and only set when its C(download) flag differs.
  - A path that is absolute or leaves the folder (C(..)), a file that is not in the folder, and a folder that is not a
    selective-sync folder fail before any change.
extends_documentation_fragment:
  - syncops.btsync.connection
  - syncops.btsync.folder
  - syncops.btsync.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows the C(download) flag of the files that change.
  idempotent:
    support: full
options:
  files:
    description:
      - Files or directories, relative to the folder (C(docs/report.pdf), C(photos)).
    type: list
    elements: str
    required: true
  download:
    description:
      - V(true) to download the O(files), V(false) to stop downloading them.
    type: bool
    required: true
seealso:
  - module: syncops.btsync.btsync_folder
  - module: syncops.btsync.btsync_facts
    description: The root listing of each folder (C(gather_subset=files)).
"""

EXAMPLES = r"""
- name: Download only the reports on the laptop replica
  syncops.btsync.btsync_file_pref:
    path: /home/ann/Reports
    files:
      - 2024/q1.pdf
      - 2024/q2.pdf
    download: true

- name: Stop downloading the videos directory
  syncops.btsync.btsync_file_pref:
    path: /home/ann/Media
    files: [videos]
    download: false
"""

RETURN = r"""
files:
  description: The files named in O(files), after the task (predicted in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: The path relative to the folder, normalised.
      type: str
      sample: 2024/q1.pdf
    download:
      description: Whether Sync downloads it.
      type: bool
      sample: true
    type:
      description: V(file) or V(folder).
      type: str
      sample: file
    state:
      description: The state Sync reports for it.
      type: str
      sample: created
    size:
      description: Size in bytes.
      type: int
      sample: 2726
"""

from typing import Any, Dict, List, Optional  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import (  # noqa: E402
    FileEntry,
    validate_relative_path,
)
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import (  # noqa: E402
    FOLDER_ID_ARGSPEC,
    BtsyncModule,
    BtsyncModuleError,
    Diff,
    live_selective_sync,
)


def find_entry(entries: List[FileEntry], relative: str) -> Optional[FileEntry]:
    name = relative.rpartition("/")[2]
    for entry in entries:
        if entry.name.strip("/") in (name, relative):
            return entry
    return None


def run(bm: BtsyncModule) -> Dict[str, Any]:
    wanted = bm.params["download"]
    paths: List[str] = []
    for item in bm.params["files"]:
        relative = validate_relative_path(item, "file")
        if relative not in paths:
            paths.append(relative)
    if not paths:
        raise BtsyncModuleError("files must name at least one file")
    client = bm.client
    folder = bm.existing_folder()
    not_selective = BtsyncModuleError(
        "the folder at %s is not a selective-sync folder: every file is downloaded; add it with selective_sync: true "
        "(btsync_folder, with recreate: true for an existing folder) to choose files" % folder.path)
    if folder.selective_sync is False:
        raise not_selective

    # The listing tells the mode for free (a selective-sync folder's entries carry ``download``), so the
    # folder's preferences are only read to explain a file that is not listed.
    listings: Dict[str, List[FileEntry]] = {}
    entries: Dict[str, FileEntry] = {}
    for relative in paths:
        parent = relative.rpartition("/")[0]
        if parent not in listings:
            listings[parent] = client.get_files(folder.secret, parent or None)
        entry = find_entry(listings[parent], relative)
        if entry is None:
            if live_selective_sync(client, folder, client.get_folder_prefs(folder.secret)) is False:
                raise not_selective
            raise BtsyncModuleError("%s is not in the folder at %s (get_files does not list it)" % (relative, folder.path))
        if entry.download is None:
            raise not_selective
        entries[relative] = entry

    diff = Diff()
    result = []
    for relative in paths:
        entry = entries[relative]
        if diff.add_item("files", relative, entry.download, wanted) and not bm.check_mode:
            updated = find_entry(client.set_file_prefs(folder.secret, relative, wanted), relative)
            if updated is not None and updated.download is not None:
                if updated.download is not wanted:
                    raise BtsyncModuleError("set_file_prefs %s/%s did not change download" % (folder.path, relative))
                entry = updated
        result.append({
            "path": relative,
            "download": wanted,
            "type": entry.type,
            "state": entry.state,
            "size": entry.size,
        })
    return bm.finish(diff.changed, diff, files=result)


def main() -> None:
    argument_spec = dict(
        files=dict(type="list", elements="str", required=True),
        download=dict(type="bool", required=True),
    )
    argument_spec.update(FOLDER_ID_ARGSPEC)
    BtsyncModule(argument_spec, required_one_of=[("path", "secret")]).run(run)


if __name__ == "__main__":
    main()
