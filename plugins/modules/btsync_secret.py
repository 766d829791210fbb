#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: btsync_secret
short_description: Generate BitTorrent Sync / Resilio Sync secrets, or derive the secrets a secret can share
version_added: 0.1.0
author:
  - syncops engineering (@syncops)
description:
  - Without O(secret), asks Sync to generate a new set of secrets (C(get_secrets)); with O(encryption=true), a set
    whose read-write secret (V(D)) can feed encrypted peers.
  - With O(secret), returns the secrets that secret can share, for example the read-only secret of a read-write one.
    The derivation is not published, so only the server can compute it.
  - Never changes anything on the Sync host. Each run without O(secret) generates new secrets, so register the result
    and store it (for example in Ansible Vault) rather than running it on every play.
extends_documentation_fragment:
  - syncops.btsync.connection
  - syncops.btsync.attributes
  - syncops.btsync.attributes.INFO_MODULE
options:
  secret:
    description:
      - A folder secret to derive from. Validated before any call.
    type: str
  encryption:
    description:
      - Generate secrets for a folder with encrypted peers. Only without O(secret).
    type: bool
    default: false
notes:
  - The returned secrets are sensitive; use C(no_log) on the task.
seealso:
  - module: syncops.btsync.btsync_folder
"""

EXAMPLES = r"""
- name: Generate secrets for a folder that will have encrypted backup peers
  syncops.btsync.btsync_secret:
    encryption: true
  register: new_secrets
  no_log: true

- name: Derive the read-only secret of a read-write one
  syncops.btsync.btsync_secret:
    secret: "{{ vault_data_secret }}"
  register: data_secrets
  no_log: true

- name: Share it read-only with the replicas
  syncops.btsync.btsync_folder:
    path: /srv/replica
    secret: "{{ data_secrets.secrets.read_only }}"
  delegate_to: "{{ item }}"
  loop: "{{ groups['replicas'] }}"
"""

RETURN = r"""
secrets:
  description:
    - The secrets. A read-only secret has no C(read_write); an encrypted-peer secret only C(encryption).
    - Values equal to the O(secret) option are masked by Ansible.
  returned: success
  type: dict
  contains:
    read_write:
      description: Read-write secret (V(A), or V(D) with encryption).
      type: str
      returned: when available
    read_only:
      description: Read-only secret (V(B), or V(E) with encryption).
      type: str
      returned: when available
    encryption:
      description: Encrypted-peer secret (V(F)).
      type: str
      returned: when available
  sample: {read_write: D..., read_only: E..., encryption: F...}
"""

from typing import Any, Dict  # noqa: E402 - Ansible modules import after their documentation

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import validate_secret  # noqa: E402
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import (  # noqa: E402
    BtsyncModule,
    BtsyncModuleError,
)


def run(bm: BtsyncModule) -> Dict[str, Any]:
    secret = bm.params["secret"]
    if secret is not None:
        secret = validate_secret(secret)
        if bm.params["encryption"]:
            raise BtsyncModuleError("encryption only applies when generating new secrets, not with secret")
    secrets = bm.client.get_secrets(secret, encryption=bm.params["encryption"])
    return bm.finish(False, secrets=secrets.to_dict())


def main() -> None:
    argument_spec = dict(
        secret=dict(type="str", no_log=True),
        encryption=dict(type="bool", default=False),
    )
    BtsyncModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
