#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_facts
short_description: Gather facts about a BitTorrent Sync / Resilio Sync device and its folders
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - Reads what the Sync API can tell -- version, operating system, current speed, device preferences, and the folders
    with their preferences, predefined hosts, peers and (on request) root listing -- into C(ansible_facts.btsync).
  - O(gather_subset) limits the API calls that are made. Secrets are only gathered with O(include_secrets=true).
  - Works ad hoc, for example C(ansible localhost -m syncops.btsync.btsync_facts -a gather_subset=folders).
extends_documentation_fragment:
  - syncops.btsync.connection
  - syncops.btsync.attributes
  - syncops.btsync.attributes.INFO_MODULE
  - syncops.btsync.attributes.FACTS
options:
  gather_subset:
    description:
      - What to gather. V(all) means every subset except V(files). A name prefixed with C(!) is left out; C(!all)
        with other names gathers only those. Only names with C(!) start from V(all).
      - V(version) (C(get_version)), V(os) (C(get_os)), V(speed) (C(get_speed)), V(prefs) (C(get_prefs)).
      - V(folders) (one C(get_folders) call). V(folder_prefs), V(folder_hosts), V(folder_peers) and V(files) add,
        for each folder, C(get_folder_prefs), C(get_folder_hosts), C(get_folder_peers) or C(get_files) (root listing,
        in C(file_list)); each of them also lists the folders.
    type: list
    elements: str
    default: [all]
  paths:
    description:
      - Only gather the folders at these paths (as given to M(syncops.btsync.btsync_folder)). The per-folder subsets
        then make their calls for these folders only, which on a Sync holding many folders saves one call per other
        folder and subset.
      - A path that is not a folder of Sync is left out of C(folders) without an error.
      - By default every folder is gathered.
    type: list
    elements: path
  include_secrets:
    description:
      - Add to each folder the secrets it can share (C(get_secrets) per folder).
      - The secrets are sensitive; consider C(no_log) on the task.
    type: bool
    default: false
seealso:
  - module: syncops.btsync.btsync_folder
  - module: syncops.btsync.btsync_prefs
"""

EXAMPLES = r"""
- name: Gather everything but the peers
  syncops.btsync.btsync_facts:
    gather_subset: ['!folder_peers']

- name: Show the folders and the Sync version
  ansible.builtin.debug:
    msg: "Sync {{ ansible_facts.btsync.version }}: {{ ansible_facts.btsync.folders | map(attribute='path') | list }}"

- name: The peers of one folder only, on a Sync holding many (two API calls)
  syncops.btsync.btsync_facts:
    gather_subset: [folder_peers]
    paths: [/srv/data]

- name: Only the folder list (a single API call)
  syncops.btsync.btsync_facts:
    gather_subset: [folders]

# Ad hoc, against the API on each host:
#   ansible all -m syncops.btsync.btsync_facts -a 'gather_subset=version,folders'
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to C(ansible_facts).
  returned: always
  type: dict
  contains:
    btsync:
      description: What the Sync API reports. Keys are only present for the subsets gathered.
      returned: always
      type: dict
      contains:
        version:
          description: Sync version.
          type: str
          sample: 1.4.111
        os:
          description: Operating system Sync runs on.
          type: str
          sample: linux
        speed:
          description: Current transfer speed in bytes per second, keys C(download) and C(upload).
          type: dict
          sample: {download: 61007, upload: 0}
        prefs:
          description: Device preferences, normalised (flags to booleans, numbers to integers).
          type: dict
          sample: {device_name: nas1, use_upnp: false, listening_port: 11589}
        folders:
          description:
            - The folders. Each has C(path), C(type), C(size), C(files) (count), C(error), C(indexing), and, per subset,
              C(preferences), C(hosts), C(peers) (each with C(id), C(name), C(connection), C(synced), C(download),
              C(upload)), C(file_list), and with O(include_secrets) C(secrets).
          type: list
          elements: dict
          sample:
            - path: /srv/data
              type: read_write
              size: 23762511569
              files: 3206
              error: 0
              indexing: false
              preferences: {search_lan: true, use_dht: false, use_hosts: false, use_relay_server: true,
                            use_sync_trash: true, use_tracker: true}
              hosts: [nas2.example.com:4000]
              peers:
                - {id: ARRdk5XANMb7RmQqEDfEZE-k5aI=, name: nas2, connection: direct, synced: 1717171717, download: 0,
                   upload: 22455367417}
"""

from typing import Any, Dict, List, Sequence, Set  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import (  # noqa: E402
    BtsyncValidationError,
    normalise_path,
    short_text,
    validate_folder_path,
)
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import BtsyncModule  # noqa: E402

SUBSETS = ("all", "files", "folder_hosts", "folder_peers", "folder_prefs", "folders", "os", "prefs", "speed", "version")
ALL = frozenset(SUBSETS) - {"all", "files"}
FOLDER_SUBSETS = frozenset(("files", "folder_hosts", "folder_peers", "folder_prefs", "folders"))


def select_subsets(names: Sequence[str]) -> Set[str]:
    """Resolve ``gather_subset`` the way ``ansible.builtin.setup`` does."""
    include: Set[str] = set()
    exclude: Set[str] = set()
    for raw in names:
        name = str(raw).strip()
        negate = name.startswith("!")
        name = name[1:] if negate else name
        if name not in SUBSETS:
            raise BtsyncValidationError(
                "unknown gather_subset %s; valid: %s (prefix with ! to leave one out)" % (short_text(raw), ", ".join(SUBSETS)))
        (exclude if negate else include).add(name)
    selected = set(include) - {"all"}
    if "all" in include or (not include and "all" not in exclude):
        selected |= ALL
    return selected - exclude


def run(bm: BtsyncModule) -> Dict[str, Any]:
    subsets = select_subsets(bm.params["gather_subset"])
    paths = bm.params["paths"]
    wanted_paths = None if paths is None else {validate_folder_path(path) for path in paths}
    client = bm.client
    facts: Dict[str, Any] = {}
    if "version" in subsets:
        facts["version"] = client.get_version()
    if "os" in subsets:
        facts["os"] = client.get_os()
    if "speed" in subsets:
        facts["speed"] = client.get_speed().to_dict()
    if "prefs" in subsets:
        facts["prefs"] = client.get_prefs()
    if subsets & FOLDER_SUBSETS:
        folders: List[Dict[str, Any]] = []
        for folder in client.get_folders():
            if wanted_paths is not None and normalise_path(folder.path) not in wanted_paths:
                continue
            entry = folder.to_dict()
            if entry.get("selective_sync") is None:
                entry.pop("selective_sync", None)
            if "folder_prefs" in subsets:
                entry["preferences"] = client.get_folder_prefs(folder.secret)
            if "folder_hosts" in subsets:
                entry["hosts"] = client.get_folder_hosts(folder.secret)
            if "folder_peers" in subsets:
                entry["peers"] = [peer.to_dict() for peer in client.get_folder_peers(folder.secret)]
            if "files" in subsets:
                entry["file_list"] = [item.to_dict() for item in client.get_files(folder.secret)]
            if bm.params["include_secrets"]:
                entry["secrets"] = client.get_secrets(folder.secret).to_dict()
            folders.append(entry)
        facts["folders"] = folders
    return bm.finish(False, ansible_facts={"btsync": facts})


def main() -> None:
    argument_spec = dict(
        gather_subset=dict(type="list", elements="str", default=["all"]),
        include_secrets=dict(type="bool", default=False, no_log=False),
        paths=dict(type="list", elements="path"),
    )
    BtsyncModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
