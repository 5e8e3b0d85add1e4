//! Go build information, read from executable bytes without running them.
//!
//! Every Go binary built since Go 1.13 carries a small *build info* blob: the
//! Go version it was built with and the module information that `go version
//! -m` prints (main package path, main module, dependencies and build
//! settings such as `DefaultGODEBUG`, `-tags`, `CGO_ENABLED`, `GOEXPERIMENT`,
//! `vcs.revision`). This module finds and decodes it. It is pure (no I/O
//! except [`read_file`]), panic-free on any input and fuzzed
//! ([`fuzz_parse`]); every allocation is bounded by the input size.
//!
//! Facts used, from the Go distribution's sources (`src/debug/buildinfo/
//! buildinfo.go`, `src/runtime/debug/mod.go`, `src/cmd/link`):
//! - Where the blob lives: the `.go.buildinfo` section (ELF), the
//!   `__go_buildinfo` section (Mach-O) or, when those are missing, the first
//!   writable non-executable `PT_LOAD` segment (ELF), the first read-write
//!   segment (Mach-O), or the first section whose characteristics are exactly
//!   initialised data + read + write (PE). The blob starts on a 16-byte
//!   boundary.
//! - The header is 32 bytes: the 14-byte magic `"\xff Go buildinf:"`, one
//!   byte of pointer size, one byte of flags (bit 0: big-endian pointers;
//!   bit 1: strings inline).
//! - Go 1.18 and later (flags bit 1 set): the version string and the module
//!   information follow the header, each as an unsigned varint length and
//!   the bytes.
//! - Before Go 1.18: two pointers follow the magic at offset 16, to the Go
//!   string headers (data pointer, length; pointer-sized, in the flagged
//!   byte order) of the version and the module information, at virtual
//!   addresses resolved through the file's segments.
//! - The module information is framed by two 16-byte sentinels; it is used
//!   only when it is at least 33 bytes long and its 17th byte from the end is
//!   a newline, and it is empty otherwise.
//! - Its text is one record per line with tab-separated fields: `go`,
//!   `path`, `mod` / `dep` (path, version, optional checksum), `=>` (the
//!   replacement of the module just before) and `build KEY=VALUE`; keys and
//!   values containing spaces, tabs, newlines, quotes or backquotes (keys
//!   also `=`) are written as Go double-quoted strings.

use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::read::ReadRef;
use object::{Object, ObjectSection, ObjectSegment};
use serde::Serialize;
use std::ops::Range;
use std::path::Path;

/// The 14-byte magic that starts a build info blob.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
const ELF_BUILDINFO: &[u8] = b".go.buildinfo";
const MACHO_BUILDINFO: &str = "__go_buildinfo";
/// Sections whose presence marks an ELF file as produced by the Go linker.
const ELF_GO_MARKERS: [&[u8]; 3] = [b".go.buildinfo", b".gopclntab", b".note.go.buildid"];

/// Which executable container the build info came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// 32-bit ELF.
    Elf32,
    /// 64-bit ELF.
    Elf64,
    /// Mach-O (thin, or one slice of a universal binary).
    MachO,
    /// PE (Windows).
    Pe,
}

/// How the version and module strings were stored.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Go 1.18 and later: varint-prefixed strings right after the header.
    Inline,
    /// Go 1.13 to 1.17: pointers to Go string headers.
    Pointer,
}

/// One module line (`mod`, `dep`) with its optional replacement (`=>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Module version (`(devel)` for a main module built from a checkout).
    pub version: String,
    /// go.sum checksum, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<String>,
    /// The module that replaced it (a `replace` directive), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<Box<Module>>,
}

/// The decoded module information text (what `go version -m` prints after
/// the first line).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct ModInfo {
    /// The `go` line, when present (not written into binaries by current Go).
    pub go_version: Option<String>,
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main: Option<Module>,
    /// Dependencies (`dep` lines), in order.
    pub deps: Vec<Module>,
    /// Build settings (`build` lines), in order; keys may repeat.
    pub settings: Vec<(String, String)>,
}

/// Everything the build info blob says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct BuildInfo {
    /// The Go version string exactly as recorded (`go1.24.2`,
    /// `go1.23.1 X:nocoverageredesign`, `devel go1.27-abcdef ...`).
    pub go_version: String,
    /// True if the binary carries module information at all. Binaries built
    /// outside module mode (GOPATH mode, Bazel's rules_go, some vendor
    /// toolchains) carry only the version.
    pub has_module_info: bool,
    /// The decoded module information.
    pub modinfo: ModInfo,
    /// The container format.
    pub container: Container,
    /// The string storage format.
    pub format: Format,
    /// Target pointer size in bytes, as recorded in the header.
    pub pointer_size: u8,
}

impl BuildInfo {
    /// The value of build setting `key` (the last one if repeated).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.modinfo
            .settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why build info could not be read from a file that looks like an
/// executable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildInfoError {
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    Io(String),
    /// The executable's own structure is broken or cut short (headers,
    /// section table, segment pointing past the end of the file).
    #[error("truncated or malformed executable: {0}")]
    Malformed(String),
    /// The build info blob is present but cut short or inconsistent.
    #[error("corrupt Go build info: {0}")]
    Corrupt(String),
    /// A Go binary (it has Go linker sections) without a build info blob:
    /// built with Go 1.12 or older, or stripped of it.
    #[error("Go binary without build info (built with Go 1.12 or older?)")]
    NoBuildInfo,
}

fn malformed(e: object::read::Error) -> BuildInfoError {
    BuildInfoError::Malformed(e.to_string())
}

fn corrupt(what: &str) -> BuildInfoError {
    BuildInfoError::Corrupt(what.to_string())
}

/// Parses the build info of an executable held in memory.
///
/// `Ok(None)`: not an ELF, Mach-O or PE file, or one without Go build info
/// (not a Go program). `Err`: an executable that is truncated or malformed,
/// or whose Go build info is corrupt.
pub fn parse(bytes: &[u8]) -> Result<Option<BuildInfo>, BuildInfoError> {
    parse_data(bytes)
}

/// Reads the build info of the file at `path`, reading only the parts of
/// the file it needs (headers, section tables, the build info blob) rather
/// than the whole file. Memory use is bounded by the size of those parts.
pub fn read_file(path: &Path) -> Result<Option<BuildInfo>, BuildInfoError> {
    let file = std::fs::File::open(path).map_err(|e| BuildInfoError::Io(e.to_string()))?;
    let cache = object::read::ReadCache::new(file);
    parse_data(&cache)
}

/// Exercises every parser in this module on arbitrary bytes, for fuzzing:
/// the executable parser, the module information parser and the Go string
/// unquoting. Must never panic.
pub fn fuzz_parse(bytes: &[u8]) {
    let _ = parse(bytes);
    let _ = decode_blob(bytes, 0, &|_, _| None);
    let text = String::from_utf8_lossy(bytes);
    let _ = parse_modinfo(&text);
    let _ = unquote(&text);
}

/// Parses build info from any `object` data source.
pub(crate) fn parse_data<'a, R: ReadRef<'a>>(data: R) -> Result<Option<BuildInfo>, BuildInfoError> {
    let len = data
        .len()
        .map_err(|()| BuildInfoError::Io("cannot determine file size".into()))?;
    if len < 4 {
        return Ok(None);
    }
    let magic = data
        .read_bytes_at(0, 4)
        .map_err(|()| BuildInfoError::Io("cannot read the file's first bytes".into()))?;
    match magic {
        [0x7f, b'E', b'L', b'F'] => elf(data),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => macho(data),
        [0xca, 0xfe, 0xba, 0xbe | 0xbf] => fat(data),
        [b'M', b'Z', ..] => pe(data),
        _ => Ok(None),
    }
}

/// One file-backed range of the address space.
#[derive(Clone, Copy)]
struct Mapping {
    address: u64,
    offset: u64,
    size: u64,
}

/// Reads `size` bytes at virtual address `address` through `maps`.
fn read_mapped<'a, R: ReadRef<'a>>(
    data: R,
    maps: &[Mapping],
    address: u64,
    size: u64,
) -> Option<&'a [u8]> {
    let m = maps.iter().find(|m| {
        address >= m.address
            && address - m.address < m.size
            && m.size - (address - m.address) >= size
    })?;
    data.read_bytes_at(m.offset.checked_add(address - m.address)?, size)
        .ok()
}

/// Decodes the first blob in `region` (the section or segment that should
/// hold it); `Ok(None)` when there is none.
fn finish<'a, R: ReadRef<'a>>(
    data: R,
    container: Container,
    region: &'a [u8],
    maps: &[Mapping],
) -> Result<Option<BuildInfo>, BuildInfoError> {
    let Some(at) = find_magic(region) else {
        return Ok(None);
    };
    let read = |address: u64, size: u64| read_mapped(data, maps, address, size);
    let mut info = decode_blob(region, at, &read)?;
    info.container = container;
    Ok(Some(info))
}

/// The offset of the first 16-byte-aligned magic with a whole header after it.
fn find_magic(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at + HEADER_LEN <= bytes.len() {
        if bytes[at..].starts_with(MAGIC) {
            return Some(at);
        }
        at += ALIGN;
    }
    None
}

fn elf<'a, R: ReadRef<'a>>(data: R) -> Result<Option<BuildInfo>, BuildInfoError> {
    let class = data
        .read_bytes_at(4, 1)
        .map_err(|()| BuildInfoError::Malformed("ELF header cut short".into()))?;
    match class {
        [1] => {
            elf_generic::<object::elf::FileHeader32<object::Endianness>, R>(data, Container::Elf32)
        }
        [2] => {
            elf_generic::<object::elf::FileHeader64<object::Endianness>, R>(data, Container::Elf64)
        }
        _ => Err(BuildInfoError::Malformed("unknown ELF class".into())),
    }
}

fn elf_generic<'a, H, R>(data: R, container: Container) -> Result<Option<BuildInfo>, BuildInfoError>
where
    H: object::read::elf::FileHeader<Endian = object::Endianness>,
    R: ReadRef<'a>,
{
    use object::read::elf::{ProgramHeader, SectionHeader};
    const PT_LOAD: u32 = 1;
    const PF_X: u32 = 1;
    const PF_W: u32 = 2;
    const SHT_NOBITS: u32 = 8;

    let header = H::parse(data).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    let phdrs = header.program_headers(endian, data).map_err(malformed)?;
    let maps: Vec<Mapping> = phdrs
        .iter()
        .filter(|p| p.p_type(endian).0 == PT_LOAD)
        .map(|p| Mapping {
            address: p.p_vaddr(endian).into(),
            offset: p.p_offset(endian).into(),
            size: p.p_filesz(endian).into(),
        })
        .collect();
    let sections = header.section_headers(endian, data).map_err(malformed)?;
    let mut go_linked = sections.is_empty();
    if !sections.is_empty() {
        let index = header.shstrndx(endian, data).map_err(malformed)? as usize;
        let names = sections
            .get(index)
            .ok_or_else(|| BuildInfoError::Malformed("bad section name table index".into()))?
            .data(endian, data)
            .map_err(malformed)?;
        for section in sections {
            let name = c_string(names, section.sh_name(endian) as usize);
            if ELF_GO_MARKERS.contains(&name) {
                go_linked = true;
            }
            if name == ELF_BUILDINFO && section.sh_type(endian).0 != SHT_NOBITS {
                let bytes = section.data(endian, data).map_err(malformed)?;
                return in_section(finish(data, container, bytes, &maps));
            }
        }
    }
    if !go_linked {
        // Section headers without any Go section: a C, C++, Rust... program.
        return Ok(None);
    }
    // No `.go.buildinfo` section (no section headers at all, or Go 1.12 and
    // older): search the first writable, non-executable loadable segment.
    let Some(p) = phdrs
        .iter()
        .find(|p| p.p_type(endian).0 == PT_LOAD && p.p_flags(endian).0 & (PF_X | PF_W) == PF_W)
    else {
        return if sections.is_empty() {
            Ok(None)
        } else {
            Err(BuildInfoError::NoBuildInfo)
        };
    };
    let bytes = data
        .read_bytes_at(p.p_offset(endian).into(), p.p_filesz(endian).into())
        .map_err(|()| {
            BuildInfoError::Malformed("data segment extends past the end of the file".into())
        })?;
    match finish(data, container, bytes, &maps)? {
        Some(info) => Ok(Some(info)),
        None if sections.is_empty() => Ok(None),
        None => Err(BuildInfoError::NoBuildInfo),
    }
}

/// The NUL-terminated string at `offset` in `table` (empty when out of range).
fn c_string(table: &[u8], offset: usize) -> &[u8] {
    let Some(rest) = table.get(offset..) else {
        return &[];
    };
    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    &rest[..end]
}

/// The result of decoding a dedicated build info section, which must hold a blob.
fn in_section(
    found: Result<Option<BuildInfo>, BuildInfoError>,
) -> Result<Option<BuildInfo>, BuildInfoError> {
    match found? {
        Some(info) => Ok(Some(info)),
        None => Err(corrupt("the build info section has no build info header")),
    }
}

/// Mach-O and PE, through `object`'s unified reader.
fn unified<'a, R: ReadRef<'a>>(
    data: R,
    file: &object::File<'a, R>,
    container: Container,
) -> Result<Option<BuildInfo>, BuildInfoError> {
    let maps: Vec<Mapping> = file
        .segments()
        .filter_map(|s| {
            let (offset, size) = s.file_range();
            Some(Mapping {
                address: s.address(),
                offset,
                size,
            })
            .filter(|m| m.size > 0)
        })
        .collect();
    let region = match container {
        Container::MachO => match file.section_by_name(MACHO_BUILDINFO) {
            Some(section) => {
                let bytes = section.data().map_err(malformed)?;
                return in_section(finish(data, container, bytes, &maps));
            }
            None => {
                const RW: u32 = 3;
                let mut found = None;
                for segment in file.segments() {
                    let object::SegmentFlags::MachO {
                        maxprot, initprot, ..
                    } = segment.flags()
                    else {
                        continue;
                    };
                    if segment.address() != 0
                        && segment.file_range().1 != 0
                        && initprot.0 == RW
                        && maxprot.0 == RW
                    {
                        found = Some(segment.data().map_err(malformed)?);
                        break;
                    }
                }
                found
            }
        },
        _ => {
            const INITIALIZED_DATA: u32 = 0x0000_0040;
            const MEM_READ: u32 = 0x4000_0000;
            const MEM_WRITE: u32 = 0x8000_0000;
            const ALIGN_32: u32 = 0x0060_0000;
            let mut found = None;
            for section in file.sections() {
                let object::SectionFlags::Coff { characteristics } = section.flags() else {
                    continue;
                };
                if section.address() != 0
                    && section.size() != 0
                    && characteristics.0 & !ALIGN_32 == INITIALIZED_DATA | MEM_READ | MEM_WRITE
                {
                    found = Some(section.data().map_err(malformed)?);
                    break;
                }
            }
            found
        }
    };
    match region {
        Some(region) => finish(data, container, region, &maps),
        None => Ok(None),
    }
}

fn macho<'a, R: ReadRef<'a>>(data: R) -> Result<Option<BuildInfo>, BuildInfoError> {
    let file = object::File::parse(data).map_err(malformed)?;
    unified(data, &file, Container::MachO)
}

fn pe<'a, R: ReadRef<'a>>(data: R) -> Result<Option<BuildInfo>, BuildInfoError> {
    // "MZ" alone is common (DOS programs, text): only a real PE image counts.
    match object::FileKind::parse(data) {
        Ok(object::FileKind::Pe32 | object::FileKind::Pe64) => {}
        _ => return Ok(None),
    }
    let file = object::File::parse(data).map_err(malformed)?;
    unified(data, &file, Container::Pe)
}

/// A universal (fat) Mach-O binary: the first slice with Go build info. The
/// fat magic is shared with Java class files, so anything that does not
/// parse as a fat header is quietly not Go.
fn fat<'a, R: ReadRef<'a>>(data: R) -> Result<Option<BuildInfo>, BuildInfoError> {
    let ranges: Vec<(u64, u64)> = if let Ok(f) = MachOFatFile32::parse(data) {
        f.arches().iter().map(|a| a.file_range()).collect()
    } else if let Ok(f) = MachOFatFile64::parse(data) {
        f.arches().iter().map(|a| a.file_range()).collect()
    } else {
        return Ok(None);
    };
    for (offset, size) in ranges {
        let slice = SubRange {
            data,
            start: offset,
            end: offset.saturating_add(size),
        };
        if let Some(info) = macho(slice)? {
            return Ok(Some(info));
        }
    }
    Ok(None)
}

/// A window of a larger data source, so one slice of a universal binary is
/// read without copying it.
#[derive(Clone, Copy)]
struct SubRange<R> {
    data: R,
    start: u64,
    end: u64,
}

impl<'a, R: ReadRef<'a>> ReadRef<'a> for SubRange<R> {
    fn len(self) -> Result<u64, ()> {
        Ok(self.end.saturating_sub(self.start))
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        let start = self.start.checked_add(offset).ok_or(())?;
        let end = start.checked_add(size).ok_or(())?;
        if end > self.end {
            return Err(());
        }
        self.data.read_bytes_at(start, size)
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        let start = self.start.checked_add(range.start).ok_or(())?;
        let end = self.start.checked_add(range.end).ok_or(())?;
        if end > self.end {
            return Err(());
        }
        self.data.read_bytes_at_until(start..end, delimiter)
    }
}

/// Decodes the blob whose header starts at `bytes[at..]`. `read` resolves
/// virtual addresses for the pre-1.18 pointer format.
fn decode_blob<'a>(
    bytes: &'a [u8],
    at: usize,
    read: &dyn Fn(u64, u64) -> Option<&'a [u8]>,
) -> Result<BuildInfo, BuildInfoError> {
    let header = bytes
        .get(at..)
        .and_then(|b| b.get(..HEADER_LEN))
        .ok_or_else(|| corrupt("header cut short"))?;
    if !header.starts_with(MAGIC) {
        return Err(corrupt("bad magic"));
    }
    let pointer_size = header[14];
    let flags = header[15];
    let (version, modinfo, format) = if flags & FLAG_INLINE != 0 {
        let mut rest = &bytes[at + HEADER_LEN..];
        let version =
            take_varint_string(&mut rest).ok_or_else(|| corrupt("version string cut short"))?;
        let modinfo =
            take_varint_string(&mut rest).ok_or_else(|| corrupt("module information cut short"))?;
        (version, modinfo, Format::Inline)
    } else {
        if pointer_size != 4 && pointer_size != 8 {
            return Err(corrupt("pointer size is neither 4 nor 8"));
        }
        let big = flags & FLAG_BIG_ENDIAN != 0;
        let word = |b: &[u8]| read_word(b, big);
        let ps = usize::from(pointer_size);
        let version_ptr = word(&header[16..16 + ps]);
        let modinfo_ptr = word(&header[16 + ps..16 + 2 * ps]);
        let string_at = |ptr: u64| -> Option<&[u8]> {
            let hdr = read(ptr, 2 * u64::from(pointer_size))?;
            let (data_ptr, len) = (word(hdr.get(..ps)?), word(hdr.get(ps..2 * ps)?));
            if len == 0 {
                return Some(&[]);
            }
            read(data_ptr, len)
        };
        let version =
            string_at(version_ptr).ok_or_else(|| corrupt("version string pointer not mapped"))?;
        let modinfo = string_at(modinfo_ptr)
            .ok_or_else(|| corrupt("module information pointer not mapped"))?;
        (version, modinfo, Format::Pointer)
    };
    let modinfo = strip_sentinels(modinfo);
    let text = String::from_utf8_lossy(modinfo);
    Ok(BuildInfo {
        go_version: String::from_utf8_lossy(version).into_owned(),
        has_module_info: !modinfo.is_empty(),
        modinfo: parse_modinfo(&text),
        container: Container::Elf64,
        format,
        pointer_size,
    })
}

fn read_word(bytes: &[u8], big_endian: bool) -> u64 {
    let mut out = 0u64;
    if big_endian {
        for b in bytes {
            out = out << 8 | u64::from(*b);
        }
    } else {
        for b in bytes.iter().rev() {
            out = out << 8 | u64::from(*b);
        }
    }
    out
}

/// Reads an unsigned LEB128 varint (at most 10 bytes, no overflow).
fn take_varint(rest: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in rest.iter().enumerate().take(10) {
        let low = u64::from(byte & 0x7f);
        if i == 9 && *byte > 1 {
            return None;
        }
        value |= low << (7 * i);
        if byte & 0x80 == 0 {
            *rest = &rest[i + 1..];
            return Some(value);
        }
    }
    None
}

fn take_varint_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(take_varint(rest)?).ok()?;
    let s = rest.get(..len)?;
    *rest = &rest[len..];
    Some(s)
}

fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[]
    }
}

/// Parses module information text (one record per line, see the module
/// documentation). Unknown or malformed lines are ignored.
pub fn parse_modinfo(text: &str) -> ModInfo {
    let mut out = ModInfo::default();
    // Which module a `=>` line replaces: the main module or the last dep.
    let mut last_is_main = false;
    for line in text.lines() {
        let Some((tag, rest)) = line.split_once('\t') else {
            continue;
        };
        match tag {
            "go" => out.go_version = Some(rest.to_string()),
            "path" => out.path = Some(rest.to_string()),
            "mod" => {
                out.main = module(rest);
                last_is_main = true;
            }
            "dep" => {
                if let Some(m) = module(rest) {
                    out.deps.push(m);
                    last_is_main = false;
                }
            }
            "=>" => {
                let target = if last_is_main {
                    out.main.as_mut()
                } else {
                    out.deps.last_mut()
                };
                if let (Some(target), Some(m)) = (target, module(rest)) {
                    target.replace = Some(Box::new(m));
                }
            }
            "build" => {
                if let Some(setting) = build_setting(rest) {
                    out.settings.push(setting);
                }
            }
            _ => {}
        }
    }
    out
}

fn module(fields: &str) -> Option<Module> {
    let mut parts = fields.split('\t');
    let path = parts.next().filter(|p| !p.is_empty())?;
    let version = parts.next().unwrap_or("");
    let sum = parts.next().filter(|s| !s.is_empty());
    Some(Module {
        path: path.to_string(),
        version: version.to_string(),
        sum: sum.map(str::to_string),
        replace: None,
    })
}

/// `KEY=VALUE` with either side possibly a Go double-quoted string.
fn build_setting(text: &str) -> Option<(String, String)> {
    let (key, rest) = if text.starts_with('"') {
        let (key, used) = unquote_prefix(text)?;
        (key, text[used..].strip_prefix('=')?)
    } else {
        let (key, rest) = text.split_once('=')?;
        (key.to_string(), rest)
    };
    if key.is_empty() {
        return None;
    }
    let value = if rest.starts_with('"') {
        match unquote_prefix(rest) {
            Some((value, used)) if used == rest.len() => value,
            _ => rest.to_string(),
        }
    } else {
        rest.to_string()
    };
    Some((key, value))
}

/// Unquotes a whole Go double-quoted string literal.
pub fn unquote(text: &str) -> Option<String> {
    match unquote_prefix(text) {
        Some((s, used)) if used == text.len() => Some(s),
        _ => None,
    }
}

/// Unquotes the Go double-quoted string literal at the start of `text`;
/// returns it and the number of bytes it took.
fn unquote_prefix(text: &str) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\n' => return None,
            b'\\' => {
                let esc = *bytes.get(i + 1)?;
                i += 2;
                match esc {
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(0x0b),
                    b'\\' | b'"' | b'\'' => out.push(esc),
                    b'x' => {
                        out.push(u8::try_from(hex(bytes.get(i..i + 2)?)?).ok()?);
                        i += 2;
                    }
                    b'u' | b'U' => {
                        let n = if esc == b'u' { 4 } else { 8 };
                        let c = char::from_u32(hex(bytes.get(i..i + n)?)?)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += n;
                    }
                    b'0'..=b'7' => {
                        let digits = bytes.get(i - 1..i + 2)?;
                        let mut v = 0u32;
                        for d in digits {
                            if !(b'0'..=b'7').contains(d) {
                                return None;
                            }
                            v = v * 8 + u32::from(d - b'0');
                        }
                        out.push(u8::try_from(v).ok()?);
                        i += 2;
                    }
                    _ => return None,
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

fn hex(digits: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for d in digits {
        v = v.checked_mul(16)? + char::from(*d).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module information framed by its sentinels, as the linker writes it.
    fn framed(text: &str) -> Vec<u8> {
        let mut out = vec![0x30; 16];
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&[0xf9; 16]);
        out
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[8, FLAG_INLINE]);
        out.resize(HEADER_LEN, 0);
        varint(version.len(), &mut out);
        out.extend_from_slice(version.as_bytes());
        varint(modinfo.len(), &mut out);
        out.extend_from_slice(modinfo);
        out
    }

    /// A minimal little-endian ELF64 executable: one PT_LOAD segment mapping
    /// the whole file at `BASE`, and section headers (null, `name`,
    /// `.shstrtab`) with `payload` as the contents of `name`.
    const BASE: u64 = 0x40_0000;
    fn elf64(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut shstrtab = b"\0".to_vec();
        let name_off = shstrtab.len() as u32;
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        let strtab_name_off = shstrtab.len() as u32;
        shstrtab.extend_from_slice(b".shstrtab\0");
        let payload_off: usize = 64 + 56;
        let payload_off = payload_off.next_multiple_of(16);
        let strtab_off = payload_off + payload.len();
        let shoff = (strtab_off + shstrtab.len()).next_multiple_of(8);
        let total = shoff + 3 * 64;
        let mut f = vec![0u8; total];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little-endian
        f[6] = 1; // version
        let put16 =
            |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 =
            |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put64 =
            |f: &mut Vec<u8>, at: usize, v: u64| f[at..at + 8].copy_from_slice(&v.to_le_bytes());
        put16(&mut f, 16, 2); // ET_EXEC
        put16(&mut f, 18, 62); // x86-64
        put32(&mut f, 20, 1);
        put64(&mut f, 32, 64); // phoff
        put64(&mut f, 40, shoff as u64);
        put16(&mut f, 52, 64); // ehsize
        put16(&mut f, 54, 56); // phentsize
        put16(&mut f, 56, 1); // phnum
        put16(&mut f, 58, 64); // shentsize
        put16(&mut f, 60, 3); // shnum
        put16(&mut f, 62, 2); // shstrndx
                              // PT_LOAD, RW, whole file at BASE.
        put32(&mut f, 64, 1);
        put32(&mut f, 68, 6);
        put64(&mut f, 64 + 16, BASE);
        put64(&mut f, 64 + 24, BASE);
        put64(&mut f, 64 + 32, total as u64);
        put64(&mut f, 64 + 40, total as u64);
        f[payload_off..strtab_off].copy_from_slice(payload);
        f[strtab_off..strtab_off + shstrtab.len()].copy_from_slice(&shstrtab);
        let sh = |i: usize| shoff + 64 * i;
        put32(&mut f, sh(1), name_off);
        put32(&mut f, sh(1) + 4, 1); // PROGBITS
        put64(&mut f, sh(1) + 16, BASE + payload_off as u64);
        put64(&mut f, sh(1) + 24, payload_off as u64);
        put64(&mut f, sh(1) + 32, payload.len() as u64);
        put32(&mut f, sh(2), strtab_name_off);
        put32(&mut f, sh(2) + 4, 3); // STRTAB
        put64(&mut f, sh(2) + 24, strtab_off as u64);
        put64(&mut f, sh(2) + 32, shstrtab.len() as u64);
        f
    }

    const MODINFO: &str = "path\texample.com/cmd/app\n\
        mod\texample.com\t(devel)\t\n\
        dep\tgolang.org/x/net\tv0.30.0\th1:abc=\n\
        =>\t./net\t(devel)\t\n\
        build\t-tags=selinux,notest\n\
        build\t-ldflags=\"-X \\\"main.v=1\\\"\"\n\
        build\tDefaultGODEBUG=tlskyber=0,x509negativeserial=1\n\
        build\tCGO_ENABLED=0\n\
        build\tvcs.revision=0123abc\n";

    #[test]
    fn parses_the_inline_format_from_an_elf_section() {
        let elf = elf64(".go.buildinfo", &inline_blob("go1.23.8", &framed(MODINFO)));
        let info = parse(&elf).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.23.8");
        assert_eq!(info.container, Container::Elf64);
        assert_eq!(info.format, Format::Inline);
        assert!(info.has_module_info);
        assert_eq!(info.modinfo.path.as_deref(), Some("example.com/cmd/app"));
        assert_eq!(info.modinfo.main.as_ref().unwrap().version, "(devel)");
        let dep = &info.modinfo.deps[0];
        assert_eq!(dep.sum.as_deref(), Some("h1:abc="));
        assert_eq!(dep.replace.as_ref().unwrap().path, "./net");
        assert_eq!(
            info.setting("DefaultGODEBUG"),
            Some("tlskyber=0,x509negativeserial=1")
        );
        assert_eq!(info.setting("-ldflags"), Some("-X \"main.v=1\""));
        assert_eq!(info.setting("-tags"), Some("selinux,notest"));
    }

    #[test]
    fn parses_the_pointer_format_through_segment_addresses() {
        // Header with two pointers to string headers, then the headers and
        // the string bytes, all inside the one mapped segment.
        let modinfo = framed("path\told/cmd\nmod\told\tv1.0.0\t\n");
        let payload_off = (64u64 + 56).next_multiple_of(16);
        let base = BASE + payload_off;
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(&[8, 0]);
        let vhdr = base + 32;
        let mhdr = base + 48;
        blob.extend_from_slice(&vhdr.to_le_bytes());
        blob.extend_from_slice(&mhdr.to_le_bytes());
        let vdata = base + 64;
        let mdata = vdata + 8;
        blob.extend_from_slice(&vdata.to_le_bytes());
        blob.extend_from_slice(&7u64.to_le_bytes());
        blob.extend_from_slice(&mdata.to_le_bytes());
        blob.extend_from_slice(&(modinfo.len() as u64).to_le_bytes());
        blob.extend_from_slice(b"go1.16.3");
        blob.extend_from_slice(&modinfo);
        // The version is 7 bytes long: "go1.16." — check the length is honoured.
        let info = parse(&elf64(".go.buildinfo", &blob)).unwrap().unwrap();
        assert_eq!(info.format, Format::Pointer);
        assert_eq!(info.go_version, "go1.16.");
        assert_eq!(info.modinfo.main.unwrap().path, "old");

        // A pointer outside every segment is a per-file error, not a panic.
        let mut bad = blob.clone();
        bad[16..24].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        assert!(matches!(
            parse(&elf64(".go.buildinfo", &bad)),
            Err(BuildInfoError::Corrupt(_))
        ));
    }

    #[test]
    fn tells_non_go_from_broken() {
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), Ok(None));
        assert_eq!(
            parse(b"MZ not really a PE file at all, just text"),
            Ok(None)
        );
        assert_eq!(parse(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]), Ok(None));
        // An ELF with sections but no Go section: a C program.
        assert_eq!(parse(&elf64(".data", b"plain data")), Ok(None));
        // A build info section without a build info header.
        assert!(matches!(
            parse(&elf64(".go.buildinfo", &[0u8; 64])),
            Err(BuildInfoError::Corrupt(_))
        ));
        // A Go-linked ELF (it has .gopclntab) without build info.
        assert_eq!(
            parse(&elf64(".gopclntab", &[0u8; 64])),
            Err(BuildInfoError::NoBuildInfo)
        );
        // Truncated: the section table is gone.
        let elf = elf64(".go.buildinfo", &inline_blob("go1.24.2", &framed(MODINFO)));
        assert!(matches!(
            parse(&elf[..elf.len() / 2]),
            Err(BuildInfoError::Malformed(_))
        ));
        assert!(matches!(
            parse(&elf[..10]),
            Err(BuildInfoError::Malformed(_))
        ));
        // The blob is cut short inside the section.
        let blob = inline_blob("go1.24.2", &framed(MODINFO));
        assert!(matches!(
            parse(&elf64(".go.buildinfo", &blob[..blob.len() - 20])),
            Err(BuildInfoError::Corrupt(_))
        ));
    }

    #[test]
    fn handles_missing_module_information() {
        let elf = elf64(
            ".go.buildinfo",
            &inline_blob("go1.23.1 X:nocoverageredesign", b""),
        );
        let info = parse(&elf).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.23.1 X:nocoverageredesign");
        assert!(!info.has_module_info);
        assert_eq!(info.modinfo, ModInfo::default());
        // Unframed module information is ignored, as Go does.
        assert_eq!(strip_sentinels(b"path\tx\n"), b"");
    }

    #[test]
    fn decodes_varints_and_go_strings() {
        let mut b: &[u8] = &[0xac, 0x02, 7];
        assert_eq!(take_varint(&mut b), Some(300));
        assert_eq!(b, [7]);
        let mut b: &[u8] = &[0xff; 11];
        assert_eq!(take_varint(&mut b), None);
        let mut b: &[u8] = &[0x80, 0x80];
        assert_eq!(take_varint(&mut b), None);
        assert_eq!(
            unquote(r#""a\tb\x41\u00e9\101\"""#).as_deref(),
            Some("a\tbAéA\"")
        );
        assert_eq!(unquote(r#""unterminated"#), None);
        assert_eq!(unquote(r#""bad \q""#), None);
        assert_eq!(
            build_setting(r#""odd=key"="v a""#),
            Some(("odd=key".into(), "v a".into()))
        );
        assert_eq!(build_setting("=x"), None);
        assert_eq!(
            build_setting("GOAMD64=v1"),
            Some(("GOAMD64".into(), "v1".into()))
        );
    }

    #[test]
    fn never_panics_on_mutations_of_a_valid_file() {
        let elf = elf64(".go.buildinfo", &inline_blob("go1.26.1", &framed(MODINFO)));
        // Every single-byte change and every truncation.
        for i in 0..elf.len() {
            for v in [0u8, 0x7f, 0x80, 0xff] {
                let mut m = elf.clone();
                m[i] = v;
                fuzz_parse(&m);
            }
            fuzz_parse(&elf[..i]);
        }
    }
}
