#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_shutdown
short_description: Stop BitTorrent Sync / Resilio Sync gracefully through its API
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - Calls C(shutdown), after which Sync finishes what it is writing and exits.
  - Always reports a change. The API must answer first (C(get_version)); a Sync that is already stopped is an error,
    as it cannot be told from a wrong O(api_url).
  - When Sync runs as a service, stop it with the service manager instead (M(ansible.builtin.systemd_service)); a
    unit with C(Restart=always) starts it again.
extends_documentation_fragment:
  - syncops.btsync.connection
  - syncops.btsync.attributes
attributes:
  check_mode:
    support: full
    details:
      - Checks that the API answers, and does not stop Sync.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Sync is stopped, so a second run fails to reach the API.
options: {}
seealso:
  - module: syncops.btsync.btsync_facts
"""

EXAMPLES = r"""
- name: Stop the Sync instance started by hand for a migration
  syncops.btsync.btsync_shutdown:
    api_url: http://127.0.0.1:8889
"""

RETURN = r"""
version:
  description: The version of the Sync that was stopped.
  returned: success
  type: str
  sample: 1.4.111
"""

from typing import Any, Dict  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import BtsyncModule  # noqa: E402


def run(bm: BtsyncModule) -> Dict[str, Any]:
    version = bm.client.get_version()
    if not bm.check_mode:
        bm.client.shutdown()
    return bm.finish(True, version=version)


def main() -> None:
    BtsyncModule({}).run(run)


if __name__ == "__main__":
    main()
