# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # How the modules that act on one existing folder name it (FOLDER_ID_ARGSPEC
    # in plugins/module_utils/btsync_module.py).
    DOCUMENTATION = r"""
options:
  path:
    description:
      - The directory of the folder on the Sync host, compared after normalisation (duplicate and trailing slashes
        removed).
      - O(path), O(secret) or both name the folder; when both are given, both must match.
    type: str
  secret:
    description:
      - The secret of the folder (any of its secrets that the folder was added with).
    type: str
"""
