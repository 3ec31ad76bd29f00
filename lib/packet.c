/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the parser's classes and reasons, for logs and counters. */
#include "dicap/packet.h"

static const char *const dicap_class_names[] = {
	[DICAP_PKT_OK] = "ok",
	[DICAP_PKT_NON_IP] = "non_ip",
	[DICAP_PKT_TRUNCATED] = "truncated",
	[DICAP_PKT_MALFORMED] = "malformed",
};

static const char *const dicap_reason_names[] = {
	[DICAP_PR_NONE] = "none",
	[DICAP_PR_SHORT_ETH] = "short_eth",
	[DICAP_PR_SHORT_VLAN] = "short_vlan",
	[DICAP_PR_VLAN_DEPTH] = "vlan_depth",
	[DICAP_PR_SHORT_IP] = "short_ip",
	[DICAP_PR_IP_VERSION] = "ip_version",
	[DICAP_PR_IP_IHL] = "ip_ihl",
	[DICAP_PR_IP_TOTLEN] = "ip_totlen",
	[DICAP_PR_IPV6_EXT] = "ipv6_ext",
	[DICAP_PR_SHORT_L4] = "short_l4",
	[DICAP_PR_L4_HDR] = "l4_hdr",
};

#define DICAP_NAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *
dicap_pkt_class_name(int cls)
{
	if (cls < 0 || cls >= DICAP_NAMES(dicap_class_names) || !dicap_class_names[cls])
		return "unknown";
	return dicap_class_names[cls];
}

const char *
dicap_pkt_reason_name(int reason)
{
	if (reason < 0 || reason >= DICAP_NAMES(dicap_reason_names) ||
	    !dicap_reason_names[reason])
		return "unknown";
	return dicap_reason_names[reason];
}
