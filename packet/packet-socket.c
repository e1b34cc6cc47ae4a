/* SPDX-License-Identifier: GPL-2.0-or-later */
typedef int stub_unused_t;
