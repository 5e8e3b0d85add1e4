//! Reading pcap and pcapng files into the flow table.
//!
//! Owns: the file formats (through the maintained `pcap-parser` crate: legacy
//! pcap in either byte order and with micro- or nanosecond timestamps;
//! pcapng with several sections and interfaces, each with its link type and
//! timestamp resolution), and the bounds on them: the read buffer never
//! grows past [`MAX_BLOCK`], so a block claiming more ends the file with a
//! note instead of an allocation, and a file that ends inside a block (a
//! capture cut short) ends cleanly with a note. Everything read is handed to
//! [`FlowTable`]; decoding frames is [`super::packet`]'s.

use super::filter::Filter;
use super::flow::FlowTable;
use super::packet::{decode, Skip};
use pcap_parser::pcapng::Block;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use std::io::Read;

/// The largest pcap record or pcapng block read (a 256 KiB snaplen packet
/// plus headers fits; nothing a real capture holds is larger).
pub const MAX_BLOCK: usize = 1 << 20;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PcapFileError {
    /// Not a pcap or pcapng file (or empty).
    #[error("not a pcap or pcapng file")]
    NotPcap,
    /// Reading it failed.
    #[error("cannot read it: {0}")]
    Io(String),
}

struct Interface {
    link: u32,
    /// Timestamp units per second.
    resolution: u64,
    offset_s: i64,
}

/// Reads one capture (`name` labels its notes) into `table`, calling
/// `on_ready` with the connections finished so far after each packet that
/// finished some. Packets are counted in the table's stats.
pub fn read<R: Read + Send>(
    input: R,
    name: &str,
    table: &mut FlowTable,
    on_ready: impl FnMut(Vec<super::ObservedConnection>),
) -> Result<(), PcapFileError> {
    read_filtered(input, name, table, None, on_ready)
}

/// [`read`], keeping only the segments `filter` matches (`--filter`):
/// the others are not counted, as if a capture filter had left them out.
pub fn read_filtered<R: Read + Send>(
    input: R,
    name: &str,
    table: &mut FlowTable,
    filter: Option<&Filter>,
    mut on_ready: impl FnMut(Vec<super::ObservedConnection>),
) -> Result<(), PcapFileError> {
    let mut reader = match create_reader(MAX_BLOCK, input) {
        Ok(r) => r,
        Err(PcapError::ReadError) => return Err(PcapFileError::Io("read error".into())),
        Err(_) => return Err(PcapFileError::NotPcap),
    };
    table.stats_mut().files += 1;
    let mut legacy: Option<(u32, bool)> = None;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut unknown_links: Vec<u32> = Vec::new();
    let mut last_us: i64 = 0;
    loop {
        let frame: Option<(u32, i64, Vec<u8>)> = match reader.next() {
            Ok((offset, block)) => {
                let frame = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some((h.network.0 as u32, h.is_nanosecond_precision()));
                        None
                    }
                    PcapBlockOwned::Legacy(b) => legacy.map(|(link, nanos)| {
                        let frac = if nanos {
                            b.ts_usec as i64 / 1000
                        } else {
                            b.ts_usec as i64
                        };
                        let caplen = (b.caplen as usize).min(b.data.len());
                        (
                            link,
                            b.ts_sec as i64 * 1_000_000 + frac,
                            b.data[..caplen].to_vec(),
                        )
                    }),
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            link: idb.linktype.0 as u32,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                            offset_s: idb.ts_offset(),
                        });
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match interfaces.get(epb.if_id as usize) {
                            None => {
                                table.stats_mut().packets_skipped += 1;
                                None
                            }
                            Some(i) => {
                                let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                let secs = (raw / i.resolution) as i64 + i.offset_s;
                                let frac =
                                    (raw % i.resolution) as u128 * 1_000_000 / i.resolution as u128;
                                let caplen = (epb.caplen as usize).min(epb.data.len());
                                Some((
                                    i.link,
                                    secs.saturating_mul(1_000_000) + frac as i64,
                                    epb.data[..caplen].to_vec(),
                                ))
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => interfaces.first().map(|i| {
                        let len = (spb.origlen as usize).min(spb.data.len());
                        // A simple packet has no timestamp: the last one stands in.
                        (i.link, last_us, spb.data[..len].to_vec())
                    }),
                    PcapBlockOwned::NG(_) => None,
                };
                reader.consume(offset);
                frame
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if let Err(e) = reader.refill() {
                    return Err(PcapFileError::Io(format!("{e:?}")));
                }
                continue;
            }
            Err(PcapError::UnexpectedEof) => {
                table.stats_mut().notes.push(format!(
                    "{name}: the file ends inside a packet (a capture cut short): read up to it"
                ));
                break;
            }
            Err(PcapError::BufferTooSmall) => {
                table.stats_mut().notes.push(format!(
                    "{name}: a block larger than {MAX_BLOCK} bytes: the rest of the file is skipped"
                ));
                break;
            }
            Err(e) => {
                table.stats_mut().notes.push(format!(
                    "{name}: unreadable block ({}): the rest of the file is skipped",
                    short(&e)
                ));
                break;
            }
        };
        let Some((link, time_us, data)) = frame else {
            continue;
        };
        last_us = time_us;
        let decoded = decode(link, &data);
        if let (Some(f), Ok(seg)) = (filter, &decoded) {
            if !f.matches(seg) {
                continue;
            }
        }
        let stats = table.stats_mut();
        stats.packets += 1;
        stats.bytes += data.len() as u64;
        match decoded {
            Ok(seg) => {
                table.segment(time_us, &seg);
                let ready = table.take_ready();
                if !ready.is_empty() {
                    on_ready(ready);
                }
            }
            Err(skip) => {
                table.stats_mut().packets_skipped += 1;
                if let Skip::LinkType(l) = skip {
                    if !unknown_links.contains(&l) && unknown_links.len() < 8 {
                        unknown_links.push(l);
                        table.stats_mut().notes.push(format!(
                            "{name}: link type {l} is not read (Ethernet, Linux cooked, raw IP and loopback are)"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn short(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("{kind:?}"),
        PcapError::OwnedNomError(_, kind) => format!("{kind:?}"),
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        other => format!("{other:?}").chars().take(60).collect(),
    }
}
