#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_prefs
short_description: Set the device preferences of BitTorrent Sync / Resilio Sync
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - Sets device preferences (those that C(get_prefs) reports) through the Sync API, and only those that differ.
  - Values are compared after normalisation, so V(true), V(1) and V("true") are the same flag and V(600) and V("600")
    the same number, whatever encoding the server uses.
extends_documentation_fragment:
  - syncops.btsync.connection
  - syncops.btsync.attributes
attributes:
  check_mode:
    support: full
    details:
      - A value that passes validation but that Sync refuses (for example a listening port already in use) is only
        reported by the real run.
  diff_mode:
    support: full
    details:
      - Shows only the preferences that change.
  idempotent:
    support: full
options:
  preferences:
    description:
      - The preferences to set, as a dictionary.
      - "Valid keys: C(device_name) (string); C(disk_low_priority), C(lan_encrypt_data), C(lan_use_tcp),
        C(rate_limit_local_peers), C(use_upnp) (booleans); C(download_limit), C(upload_limit) (kB/s, V(0) means
        unlimited), C(folder_rescan_interval), C(max_file_size_diff_for_patching), C(max_file_size_for_versioning),
        C(recv_buf_size), C(send_buf_size), C(sync_max_time_diff), C(sync_trash_ttl) (non-negative integers);
        C(lang) (integer, V(-1) for the system language); C(listening_port) (0-65535, V(0) for a random port)."
      - An unknown key, a value of the wrong type or a negative limit fails before any change, listing what is valid.
      - Keys that are not given keep their value.
    type: dict
    required: true
notes:
  - Preferences that the Sync config file also sets are overwritten by it when Sync restarts; set those through the
    config (the C(syncops.btsync.btsync) role) instead.
seealso:
  - module: syncops.btsync.btsync_facts
    description: Read all preferences (C(gather_subset=prefs)).
"""

EXAMPLES = r"""
- name: Name the device and limit the upload
  syncops.btsync.btsync_prefs:
    preferences:
      device_name: "{{ inventory_hostname }}"
      upload_limit: 2048
      use_upnp: false

- name: Keep deleted files for 60 days, rescan every 10 minutes
  syncops.btsync.btsync_prefs:
    api_url: http://127.0.0.1:8888
    api_user: admin
    api_password: "{{ vault_btsync_api_password }}"
    preferences:
      sync_trash_ttl: 60
      folder_rescan_interval: 600
"""

RETURN = r"""
preferences:
  description: All device preferences after the task (predicted in check mode), normalised (flags to booleans, numbers
    to integers).
  returned: success
  type: dict
  sample: {device_name: nas1, disk_low_priority: true, download_limit: 0, folder_rescan_interval: 600,
           lan_encrypt_data: true, lan_use_tcp: false, lang: -1, listening_port: 11589,
           max_file_size_diff_for_patching: 1000, max_file_size_for_versioning: 1000, rate_limit_local_peers: false,
           recv_buf_size: 5, send_buf_size: 5, sync_max_time_diff: 600, sync_trash_ttl: 30, upload_limit: 2048,
           use_upnp: false}
"""

from typing import Any, Dict  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import validate_prefs  # noqa: E402
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import (  # noqa: E402
    BtsyncModule,
    BtsyncModuleError,
    Diff,
)


def run(bm: BtsyncModule) -> Dict[str, Any]:
    wanted = validate_prefs(bm.params["preferences"])
    live = bm.client.get_prefs()
    diff = Diff()
    changes = {key: value for key, value in sorted(wanted.items()) if diff.add(key, live.get(key), value)}
    after = dict(live)
    after.update(changes)
    if changes and not bm.check_mode:
        after = bm.client.set_prefs(changes)
        kept = sorted(key for key, value in changes.items() if after.get(key) != value)
        if kept:
            raise BtsyncModuleError("set_prefs did not change %s" % ", ".join(kept))
    return bm.finish(bool(changes), diff, preferences=after)


def main() -> None:
    BtsyncModule(dict(preferences=dict(type="dict", required=True))).run(run)


if __name__ == "__main__":
    main()
