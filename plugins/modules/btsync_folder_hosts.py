#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_folder_hosts
short_description: Manage the predefined hosts of a BitTorrent Sync / Resilio Sync folder
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - Sets the list of predefined hosts (C(host:port) of peers to connect to directly) of an existing folder, or adds or
    removes some of them.
  - Hosts are validated before any call and compared after normalisation (host names lower-cased, IPv6 addresses
    compressed). The order of the list does not matter.
  - The hosts are only used when the folder preference C(use_hosts) is on (see M(syncops.btsync.btsync_folder)).
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
      - Shows the list of hosts before and after, when it changes.
  idempotent:
    support: full
options:
  hosts:
    description:
      - Hosts as C(host:port), where C(host) is a DNS name, an IPv4 address or an IPv6 address in brackets
        (C([2001:db8::1]:4000)) and C(port) is 1-65535.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(exact) replaces the folder's list with O(hosts) (an empty list removes all).
      - V(present) adds the O(hosts) that are missing and keeps the others.
      - V(absent) removes the O(hosts) that are listed and keeps the others.
    type: str
    choices: [exact, present, absent]
    default: exact
seealso:
  - module: syncops.btsync.btsync_folder
"""

EXAMPLES = r"""
- name: Let the folder find its peers directly
  syncops.btsync.btsync_folder_hosts:
    path: /srv/data
    hosts:
      - nas1.example.com:4000
      - 192.0.2.10:4000
      - "[2001:db8::10]:4000"

- name: Add one peer, keep the others
  syncops.btsync.btsync_folder_hosts:
    path: /srv/data
    hosts: [backup.example.com:4000]
    state: present

- name: Forget a retired peer
  syncops.btsync.btsync_folder_hosts:
    path: /srv/data
    hosts: [old.example.com:4000]
    state: absent
"""

RETURN = r"""
hosts:
  description: The folder's predefined hosts after the task (predicted in check mode), normalised.
  returned: success
  type: list
  elements: str
  sample: [nas1.example.com:4000, 192.0.2.10:4000, "[2001:db8::10]:4000"]
"""

from typing import Any, Dict  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import validate_hosts  # noqa: E402
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import (  # noqa: E402
    FOLDER_ID_ARGSPEC,
    BtsyncModule,
    Diff,
)


def run(bm: BtsyncModule) -> Dict[str, Any]:
    wanted = validate_hosts(bm.params["hosts"])
    state = bm.params["state"]
    folder = bm.existing_folder()
    live = bm.client.get_folder_hosts(folder.secret)
    if state == "exact":
        desired = wanted
    elif state == "present":
        desired = live + [host for host in wanted if host not in live]
    else:
        desired = [host for host in live if host not in wanted]
    diff = Diff()
    changed = sorted(set(live)) != sorted(set(desired))
    if changed:
        diff.add("hosts", live, desired)
    hosts = desired
    if changed and not bm.check_mode:
        hosts = bm.client.set_folder_hosts(folder.secret, desired)
    return bm.finish(changed, diff, hosts=hosts)


def main() -> None:
    argument_spec = dict(
        hosts=dict(type="list", elements="str", required=True),
        state=dict(type="str", default="exact", choices=["exact", "present", "absent"]),
    )
    argument_spec.update(FOLDER_ID_ARGSPEC)
    BtsyncModule(argument_spec, required_one_of=[("path", "secret")]).run(run)


if __name__ == "__main__":
    main()
