# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The connection options of every module (CONNECTION_ARGSPEC in
    # plugins/module_utils/btsync_module.py). Set them once for a play with
    # module_defaults: {group/syncops.btsync.btsync: {...}}.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - URL of the Sync web UI (C(webui.listen) in the Sync config). The API answers under C(/api) below it; a URL that
        already ends in C(/api) is used as it is.
      - The API must be switched on with C(webui.api_key) in the Sync config, otherwise every call fails with a message
        that says so.
      - If not set, the value of the E(BTSYNC_API_URL) environment variable is used, then V(http://127.0.0.1:8888).
      - Credentials belong in O(api_user) and O(api_password), not in the URL. A user and password given in the URL
        (V(http://user:password@host:port)) are only used when neither O(api_user) nor O(api_password) is set, and
        messages and results never show that password (the URL is shown without it, or with C(********) in its place).
    type: str
    default: http://127.0.0.1:8888
  api_user:
    description:
      - User for HTTP basic authentication (C(webui.login) in the Sync config).
      - If not set, the value of the E(BTSYNC_API_USER) environment variable is used. Without a user and a password no
        credentials are sent.
    type: str
  api_password:
    description:
      - Password for HTTP basic authentication (C(webui.password) in the Sync config).
      - If not set, the value of the E(BTSYNC_API_PASSWORD) environment variable is used.
    type: str
  timeout:
    description:
      - Seconds to wait for the API to accept a connection and to answer one request.
      - A request whose answer does not come in time is not repeated; see O(retries).
    type: float
    default: 10
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an C(https://) O(api_url).
      - Only set to V(false) for a self-signed certificate on a host you trust.
    type: bool
    default: true
  retries:
    description:
      - How many times a read (a C(get_*) call) is repeated after a connection error, a connect timeout or an HTTP 5xx
        answer, waiting 0.2, 0.4, 0.8... seconds (at most 5) in between. V(0) disables retries.
      - Writes are never repeated blindly. When the answer to a write is lost, the module reads the state back; if the
        change is there it carries on, if it is not there it sends the write exactly once more, and if that answer is
        lost too it fails saying that nothing was changed. When an answer did not come back within O(timeout), Sync
        may still apply the change later; the module fails saying so, and running the task again reconciles.
    type: int
    default: 3
requirements:
  - requests (Python library, on the host that runs the module)
notes:
  - The module talks to the API from the host it runs on. To manage Sync on remote hosts, either run the module on
    them (Sync usually listens on 127.0.0.1 only) or use O(api_url) with C(delegate_to)/C(localhost).
"""
