# Sphinx configuration of the syncops.btsync docs site.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# `make docs` copies docs/ into build/docs/src, generates the module and role
# reference with `antsibull-docs collection` into build/docs/src/collection, and
# builds build/docs/html with `sphinx-build -W` using this file.  The build
# is offline: instead of intersphinx inventories (which would be downloaded),
# references into docs.ansible.com are turned into plain external links below.

from __future__ import annotations

import re

project = "syncops.btsync"
project_copyright = "syncops engineering, GPL-3.0-or-later"
title = "syncops.btsync"
html_short_title = "syncops.btsync"

extensions = ["myst_parser", "sphinx_antsibull_ext"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "conf.py"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
display_version = False

nitpicky = True
myst_heading_anchors = 3

ANSIBLE_DOCS = "https://docs.ansible.com/ansible/latest/"
# Labels of the Ansible documentation that generated pages refer to.
ANSIBLE_LABELS = {
    "ansible_configuration_settings": "reference_appendices/config.html",
    "common_return_values": "reference_appendices/common_return_values.html",
    "collections_installing": "collections_guide/collections_installing.html",
    "module_defaults": "playbook_guide/playbooks_module_defaults.html",
    "check_mode_dry": "playbook_guide/playbooks_checkmode.html",
    "playbooks_delegation": "playbook_guide/playbooks_delegation.html",
    "playbooks_vault": "vault_guide/index.html",
    "vault": "vault_guide/index.html",
}
# ansible_collections.<namespace>.<name>.<plugin>_<type>[__<anchor>]
FOREIGN_PLUGIN = re.compile(r"^ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)(?:__(.+))?$")


def _external_reference(app, env, node, contnode):  # pylint: disable=unused-argument
    """Resolve references into the Ansible docs (no intersphinx offline)."""
    if node.get("reftype") != "ref":
        return None
    target = node.get("reftarget", "")
    url = None
    if target in ANSIBLE_LABELS:
        url = ANSIBLE_DOCS + ANSIBLE_LABELS[target]
    else:
        match = FOREIGN_PLUGIN.match(target)
        if match and (match.group(1), match.group(2)) != ("syncops", "btsync"):
            namespace, name, page, anchor = match.groups()
            url = "%scollections/%s/%s/%s.html" % (ANSIBLE_DOCS, namespace, name, page)
            if anchor:
                url += "#" + anchor
    if url is None:
        return None
    from docutils import nodes  # pylint: disable=import-outside-toplevel

    reference = nodes.reference("", "", internal=False, refuri=url)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", _external_reference)
