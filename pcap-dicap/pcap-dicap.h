/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DiCAP capture source of libpcap: "dicap:IFACE" is this node's share
 * of the traffic on IFACE, as the local dicapd selects it.  Registered in
 * capture_source_types[] (pcap.c) by patches/libpcap/.
 */
#ifndef PCAP_DICAP_H
#define PCAP_DICAP_H

int	dicap_findalldevs(pcap_if_list_t *devlistp, char *errbuf);
pcap_t	*dicap_create(const char *device, char *errbuf, int *is_ours);

#endif /* PCAP_DICAP_H */
