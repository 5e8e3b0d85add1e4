//! scripts/apt-mirror: install-peers and bench take the Debian mirror from
//! the machine's own apt sources, so these read sample sources the way apt
//! writes them (deb822 and one-line), including entries that must not win.

use std::path::Path;
use std::process::Command;

fn mirror(etc: &Path, want: &str) -> (Option<i32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/apt-mirror");
    let out = Command::new(script)
        .arg(want)
        .env("PQREADY_APT_ETC", etc)
        .output()
        .expect("run scripts/apt-mirror");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

fn write(etc: &Path, name: &str, text: &str) {
    let path = etc.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn deb822_sources_give_the_debian_and_security_mirrors_not_third_party_ones() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path();
    // A third-party repository whose suite is a Debian codename, a disabled
    // stanza and a commented snapshot line come first: none of them wins.
    write(
        etc,
        "sources.list.d/docker.sources",
        "Types: deb\nURIs: https://download.docker.com/linux/debian\nSuites: bookworm\nComponents: stable\n",
    );
    write(
        etc,
        "sources.list.d/debian.sources",
        "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
         URIs: http://old.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n\
         Types: deb deb-src\nURIs: http://mirror.local/debian/\nSuites: bookworm bookworm-updates\n\
         Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
         Types: deb\nURIs: http://mirror.local/debian-security\nSuites: bookworm-security\n\
         Components: main\n",
    );
    assert_eq!(
        mirror(etc, "debian"),
        (Some(0), "http://mirror.local/debian".into())
    );
    assert_eq!(
        mirror(etc, "security"),
        (Some(0), "http://mirror.local/debian-security".into())
    );
}

#[test]
fn one_line_sources_with_options_are_read_and_nothing_found_is_a_plain_failure() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path();
    write(
        etc,
        "sources.list",
        "# deb http://commented.example/debian bookworm main\n\
         deb-src http://src.example/debian bookworm main\n\
         deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] https://cache.corp.example/debian trixie main\n",
    );
    assert_eq!(
        mirror(etc, "debian"),
        (Some(0), "https://cache.corp.example/debian".into())
    );
    assert_eq!(mirror(etc, "security"), (Some(1), String::new()));
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(mirror(empty.path(), "debian"), (Some(1), String::new()));
    assert_eq!(mirror(empty.path(), "neither").0, Some(2));
}
