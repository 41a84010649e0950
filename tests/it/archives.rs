//! Scanning inside archives (issue 15): what ships is scanned, every
//! finding names its whole path, and hostile archives end in a warning and
//! an incomplete scan, never a crash, a hang or a file on disk. Every
//! archive is built here with the format crates; none is checked in.

use crate::common;
use common::*;
use std::io::Write;

/// A settings file holding a generated fake key, on line 2.
fn settings(seed: u64) -> String {
    format!(
        "DEBUG = False\nOPENAI_API_KEY = \"{}\"\n",
        fake_openai_key(seed)
    )
}

/// A zip of `(name, contents)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_header(name: &str, size: u64, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(kind);
    h.set_cksum();
    h
}

/// A ustar archive of regular files.
fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let h = tar_header(name, bytes.len() as u64, tar::EntryType::Regular);
        b.append(&h, *bytes).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut e = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// Text that does not compress: a bomb check must not fire on it.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut n = seed;
    while out.len() < len {
        out.extend_from_slice(random_alnum(n, 63).as_bytes());
        out.push(b'\n');
        n += 1;
    }
    out.truncate(len);
    out
}

#[test]
fn a_key_in_a_wheel_is_found_and_named_by_its_whole_path() {
    let t = Tree::new();
    let wheel = zip_of(&[
        ("app/__init__.py", b"" as &[u8]),
        ("app/settings.py", settings(1).as_bytes()),
    ]);
    t.write("dist/app-1.0-py3-none-any.whl", &wheel);
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    assert_eq!(
        scan.places(),
        ["dist/app-1.0-py3-none-any.whl!app/settings.py:2"]
    );
    // Human output names the same place.
    let out = t.scan().output().unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("--> dist/app-1.0-py3-none-any.whl!app/settings.py:2:"),
        "{human}"
    );
    // Off, the wheel is a binary file like any other.
    let off = t.scan_json(&["--no-git", "--archive-depth", "0"]);
    assert_eq!((off.code, off.findings.len()), (0, 0), "{}", off.stderr);
}

#[test]
fn sarif_names_the_archive_as_the_artifact_and_the_whole_path_readably() {
    let t = Tree::new();
    t.write(
        "dist/app.jar",
        zip_of(&[("conf/app.properties", settings(2).as_bytes())]),
    );
    let out = t.scan().args(["-f", "sarif"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &doc["runs"][0]["results"][0];
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "dist/app.jar");
    assert_eq!(physical["region"]["startLine"], 2);
    let logical = &result["locations"][0]["logicalLocations"][0];
    assert_eq!(
        logical["fullyQualifiedName"],
        "dist/app.jar!conf/app.properties"
    );
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("dist/app.jar!conf/app.properties:2"));
}

#[test]
fn every_compression_format_is_opened() {
    let t = Tree::new();
    let text = settings(3);
    let tgz = gzip(&tar_of(&[("demo-0.1.0/src/lib.rs", text.as_bytes())]));
    t.write("vendor/demo-0.1.0.crate", &tgz);
    t.write("logs/app.log.gz", gzip(text.as_bytes()));
    t.write("logs/app.log.bz2", bzip2(text.as_bytes()));
    t.write("logs/app.log.xz", xz(text.as_bytes()));
    t.write("logs/app.log.zst", zstd(text.as_bytes()));
    t.write("backup.tar", tar_of(&[("etc/app.env", text.as_bytes())]));
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    assert_eq!(
        scan.places(),
        [
            "backup.tar!etc/app.env:2",
            "logs/app.log.bz2!app.log:2",
            "logs/app.log.gz!app.log:2",
            "logs/app.log.xz!app.log:2",
            "logs/app.log.zst!app.log:2",
            "vendor/demo-0.1.0.crate!demo-0.1.0/src/lib.rs:2",
        ]
    );
}

/// A zstd frame whose header asks for a 128 MiB window (`zstd --long=27`):
/// keylint refuses to allocate it, and says that is why, not "corrupt".
#[test]
fn a_zstd_window_over_the_limit_is_refused_by_name_not_called_corrupt() {
    let t = Tree::new();
    // Magic, a header descriptor with a window descriptor and nothing else,
    // window 2^(10 + 17) bytes, then one raw last block of 5 bytes.
    let mut frame = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 17 << 3];
    frame.extend_from_slice(&[1 | (5 << 3), 0, 0]);
    frame.extend_from_slice(b"hello");
    t.write("logs/big.log.zst", frame);
    t.write("app.env", settings(2));
    // A finding beside the error: exit 1, the error counted and named.
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    let line = scan
        .stderr
        .lines()
        .find(|l| l.contains("big.log.zst"))
        .unwrap_or_else(|| panic!("{}", scan.stderr));
    assert!(
        line.contains("zstd window of 128 MiB is over the 64 MiB")
            && line.contains("--archive-depth 0")
            && !line.contains("corrupt"),
        "{line}"
    );
    // The rest of the tree is still scanned.
    assert_eq!(scan.places(), ["app.env:2"]);
}

#[test]
fn archives_are_recognised_by_their_bytes_not_their_name() {
    let t = Tree::new();
    t.write(
        "release/bundle.dat",
        zip_of(&[(".env", settings(4).as_bytes())]),
    );
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        ["release/bundle.dat!.env:2"],
        "{}",
        scan.stderr
    );
}

#[test]
fn nested_archives_are_opened_to_the_depth_asked() {
    let t = Tree::new();
    let jar = zip_of(&[("BOOT-INF/classes/application.yml", settings(5).as_bytes())]);
    let war = zip_of(&[("WEB-INF/lib/inner.jar", &jar)]);
    t.write("release.tar.gz", gzip(&tar_of(&[("app/site.war", &war)])));
    let deep =
        "release.tar.gz!app/site.war!WEB-INF/lib/inner.jar!BOOT-INF/classes/application.yml:2";
    assert_eq!(t.scan_json(&["--no-git"]).places(), [deep]);
    assert_eq!(
        t.scan_json(&["--no-git", "--archive-depth", "3"]).places(),
        [deep]
    );
    let shallow = t.scan_json(&["--no-git", "--archive-depth", "2"]);
    assert_eq!(
        (shallow.code, shallow.findings.len()),
        (0, 0),
        "{}",
        shallow.stderr
    );
}

#[test]
fn a_docker_save_tarball_names_the_layer_and_the_path() {
    let t = Tree::new();
    let layer = tar_of(&[("srv/app/.env", settings(6).as_bytes())]);
    let oci_layer = gzip(&tar_of(&[(
        "root/.aws/credentials.txt",
        settings(7).as_bytes(),
    )]));
    let image = tar_of(&[
        ("manifest.json", b"[]" as &[u8]),
        ("5f2a/layer.tar", &layer),
        ("blobs/sha256/9c1e", &oci_layer),
    ]);
    t.write("image.tar", &image);
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        [
            "image.tar!5f2a/layer.tar!srv/app/.env:2",
            "image.tar!blobs/sha256/9c1e!root/.aws/credentials.txt:2",
        ],
        "{}",
        scan.stderr
    );
}

#[test]
fn archives_in_history_and_in_the_staged_change_are_opened() {
    let t = Tree::repo();
    t.write(
        "dist/app.zip",
        zip_of(&[("config.py", settings(8).as_bytes())]),
    );
    t.git(&["add", "."]);
    let staged = t.scan_json(&["--staged"]);
    assert_eq!(
        staged.places(),
        ["dist/app.zip!config.py:2"],
        "{}",
        staged.stderr
    );
    t.git(&["commit", "-qm", "release"]);
    let history = t.scan_json(&["--history"]);
    assert_eq!(
        history.places(),
        ["dist/app.zip!config.py:2"],
        "{}",
        history.stderr
    );
    assert!(history.findings[0]["commit"]["summary"] == "release");
}

/// Asserts a scan ended incomplete with a warning naming `archive`.
fn assert_incomplete(scan: &Scan, archive: &str, why: &str) {
    assert_eq!(scan.code, 2, "{}", scan.stderr);
    assert!(
        scan.stderr
            .lines()
            .any(|l| l.contains(archive) && l.contains(why)),
        "no `{why}` for {archive}: {}",
        scan.stderr
    );
}

#[test]
fn a_zip_bomb_is_stopped_and_reported() {
    let t = Tree::new();
    let zeros = vec![0u8; 64 << 20];
    t.write("bomb.zip", zip_of(&[("zeros.bin", &zeros)]));
    t.write("bomb.gz", gzip(&zeros));
    drop(zeros);
    let scan = t.scan_json(&["--no-git"]);
    assert_incomplete(&scan, "bomb.zip!zeros.bin", "zip bomb");
    assert_incomplete(&scan, "bomb.gz", "zip bomb");
}

#[test]
fn an_archive_inflating_past_the_limit_is_stopped_but_what_came_before_counts() {
    let t = Tree::new();
    let big = noise(1, 600 << 10);
    t.write(
        "big.zip",
        zip_of(&[
            ("a.txt", settings(9).as_bytes()),
            ("b.txt", &big),
            ("c.txt", &big),
        ]),
    );
    let scan = t.scan_json(&["--no-git", "--max-archive-size", "1MiB"]);
    // The key before the limit is reported (exit 1); the limit is named.
    assert_eq!(scan.places(), ["big.zip!a.txt:2"], "{}", scan.stderr);
    assert!(
        scan.stderr
            .contains("big.zip!c.txt: it inflates past --max-archive-size"),
        "{}",
        scan.stderr
    );
    let t = Tree::new();
    t.write("big.zip", zip_of(&[("b.txt", &big), ("c.txt", &big)]));
    let scan = t.scan_json(&["--no-git", "--max-archive-size", "1MiB"]);
    assert_incomplete(&scan, "big.zip", "--max-archive-size");
}

#[test]
fn a_zip_with_too_many_entries_is_cut_off() {
    let t = Tree::new();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..100_001u32 {
        w.start_file(format!("{i:x}"), opts).unwrap();
    }
    t.write("many.zip", w.finish().unwrap().into_inner());
    let scan = t.scan_json(&["--no-git"]);
    assert_incomplete(&scan, "many.zip", "more than 100000 entries");
}

/// The end-of-central-directory record's offset in a zip without comment.
fn eocd(zip: &[u8]) -> usize {
    zip.len() - 22
}

#[test]
fn overlapping_entries_cannot_multiply_the_inflated_bytes() {
    // One entry's central record repeated: every copy points at the same
    // compressed data (the "overlapping files" bomb).
    let big = noise(2, 300 << 10);
    let mut z = zip_of(&[("same.txt", &big)]);
    let end = eocd(&z);
    let cd_size = u32::from_le_bytes(z[end + 12..end + 16].try_into().unwrap()) as usize;
    let cd_start = u32::from_le_bytes(z[end + 16..end + 20].try_into().unwrap()) as usize;
    let record = z[cd_start..cd_start + cd_size].to_vec();
    let copies = 2000u16;
    let mut tail = z.split_off(cd_start);
    let eocd_rec = tail.split_off(cd_size);
    // Each copy under its own name (a zip reader keeps one entry per name).
    let name_at = 46;
    assert_eq!(&record[name_at..name_at + 8], b"same.txt");
    for i in 0..copies {
        let mut copy = record.clone();
        copy[name_at..name_at + 8].copy_from_slice(format!("{i:04}.txt").as_bytes());
        z.extend_from_slice(&copy);
    }
    let mut e = eocd_rec;
    e[8..10].copy_from_slice(&copies.to_le_bytes());
    e[10..12].copy_from_slice(&copies.to_le_bytes());
    e[12..16].copy_from_slice(&((cd_size * copies as usize) as u32).to_le_bytes());
    z.extend_from_slice(&e);
    let t = Tree::new();
    t.write("overlap.zip", &z);
    let scan = t.scan_json(&["--no-git"]);
    assert_incomplete(&scan, "overlap.zip", "");
}

#[test]
fn traversal_names_are_only_names_and_nothing_is_written_to_disk() {
    let t = Tree::new();
    t.write(
        "evil.zip",
        zip_of(&[("../../etc/evil.conf", settings(10).as_bytes())]),
    );
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        ["evil.zip!../../etc/evil.conf:2"],
        "{}",
        scan.stderr
    );
    let parent = t.path().parent().unwrap();
    assert!(!parent.join("etc/evil.conf").exists());
    assert!(!t.path().join("etc").exists());
    let files: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "only the zip itself");
}

#[test]
fn link_entries_are_never_followed_or_read() {
    // A link's target is its "content": reading it would report the key.
    let key_path = format!("/srv/{}", fake_openai_key(11));
    let t = Tree::new();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink("link", &key_path, zip::write::SimpleFileOptions::default())
        .unwrap();
    t.write("links.zip", w.finish().unwrap().into_inner());
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar_header("link", 0, tar::EntryType::Symlink);
    h.set_link_name("/etc/passwd").unwrap();
    h.set_cksum();
    b.append(&h, std::io::empty()).unwrap();
    b.append(
        &tar_header("ok.txt", 3, tar::EntryType::Regular),
        &b"ok\n"[..],
    )
    .unwrap();
    t.write("links.tar", b.into_inner().unwrap());
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!((scan.code, scan.findings.len()), (0, 0), "{}", scan.stderr);
}

#[test]
fn a_tar_with_devices_and_fifos_is_scanned_without_reading_them() {
    let t = Tree::new();
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind) in [
        ("dev/sda", tar::EntryType::Block),
        ("dev/tty", tar::EntryType::Char),
        ("run/pipe", tar::EntryType::Fifo),
    ] {
        b.append(&tar_header(name, 0, kind), std::io::empty())
            .unwrap();
    }
    let text = settings(12);
    b.append(
        &tar_header("etc/app.env", text.len() as u64, tar::EntryType::Regular),
        text.as_bytes(),
    )
    .unwrap();
    t.write("rootfs.tar", b.into_inner().unwrap());
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        ["rootfs.tar!etc/app.env:2"],
        "{}",
        scan.stderr
    );
}

#[test]
fn truncated_and_corrupt_archives_are_warnings_and_the_scan_is_incomplete() {
    let t = Tree::new();
    let zip = zip_of(&[("a.py", settings(13).as_bytes()), ("b.py", &noise(3, 4096))]);
    t.write("cut.zip", &zip[..zip.len() / 2]);
    let tgz = gzip(&tar_of(&[("a.py", &noise(4, 64 << 10))]));
    t.write("cut.tgz", &tgz[..tgz.len() / 2]);
    let mut garbage = vec![0x1f, 0x8b, 8, 0];
    garbage.extend_from_slice(&noise(5, 1000));
    t.write("garbage.gz", &garbage);
    let scan = t.scan_json(&["--no-git"]);
    assert_incomplete(&scan, "cut.zip", "corrupt or truncated");
    assert_incomplete(&scan, "cut.tgz", "corrupt or truncated");
    assert_incomplete(&scan, "garbage.gz", "corrupt or truncated");
}

#[test]
fn an_encrypted_entry_is_reported_not_scanned() {
    let mut z = zip_of(&[("secret.txt", b"nothing to see\n" as &[u8])]);
    // Set the "encrypted" flag in the local and the central header.
    z[6] |= 1;
    let end = eocd(&z);
    let cd_start = u32::from_le_bytes(z[end + 16..end + 20].try_into().unwrap()) as usize;
    z[cd_start + 8] |= 1;
    let t = Tree::new();
    t.write("locked.zip", &z);
    let scan = t.scan_json(&["--no-git"]);
    assert_incomplete(&scan, "locked.zip!secret.txt", "encrypted");
}

/// A notebook whose cells are `(source lines, output lines)`.
fn notebook(cells: &[(&[&str], &[&str])]) -> String {
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|(source, outputs)| {
            serde_json::json!({
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "source": source,
                "outputs": if outputs.is_empty() { serde_json::json!([]) } else { serde_json::json!([
                    {"output_type": "stream", "name": "stdout", "text": outputs},
                    {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}}
                ]) },
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells
    }))
    .unwrap()
}

#[test]
fn a_notebook_finding_names_the_cell_and_the_line_within_it() {
    let (a, b) = (fake_openai_key(20), fake_openai_key(21));
    let source_line = format!("KEY = \"{a}\"\n");
    let output_line = format!("token: {b}\n");
    let t = Tree::new();
    t.write(
        "analysis.ipynb",
        notebook(&[
            (&["import os\n", "print(os.getcwd())"], &["/tmp\n"]),
            (
                &["import client\n", "c = client.Client()\n", &source_line],
                &[],
            ),
            (&["c.login()"], &["connected\n", &output_line]),
        ]),
    );
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        ["analysis.ipynb:cell 2:3", "analysis.ipynb:cell 3 output:2"],
        "{}",
        scan.stderr
    );
    assert_eq!(scan.findings[0]["artifact"], "analysis.ipynb");
    // SARIF points at the notebook file.
    let out = t.scan().args(["-f", "sarif"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "analysis.ipynb");
}

#[test]
fn a_staged_notebook_reports_only_the_secret_the_change_adds() {
    let (a, b) = (fake_openai_key(22), fake_openai_key(23));
    let line_a = format!("KEY = \"{a}\"\n");
    let line_b = format!("OTHER = \"{b}\"\n");
    let t = Tree::repo();
    t.write("nb.ipynb", notebook(&[(&[&line_a], &[])]));
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "first"]);
    t.write(
        "nb.ipynb",
        notebook(&[(&[&line_a], &[]), (&["x = 1\n", &line_b], &[])]),
    );
    t.git(&["add", "."]);
    let staged = t.scan_json(&["--staged"]);
    assert_eq!(staged.places(), ["nb.ipynb:cell 2:2"], "{}", staged.stderr);
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn a_kubernetes_secret_value_is_decoded_and_reported_at_the_encoded_text() {
    let key = fake_openai_key(24);
    let t = Tree::new();
    t.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  OPENAI_API_KEY: {}\n",
            b64(&key)
        ),
    );
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.places(), ["k8s/secret.yaml:7"], "{}", scan.stderr);
    let f = &scan.findings[0];
    assert_eq!(f["decoded"], "base64");
    assert_eq!(f["column"], 19, "points at the encoded text");
    assert_eq!(
        f["secret"],
        key.chars().take(4).collect::<String>() + "…" + &key[key.len() - 2..]
    );
    let line = f["line_text"].as_str().unwrap();
    assert!(
        !line.contains(&b64(&key)),
        "the encoded secret is redacted too: {line}"
    );
    let out = t.scan().output().unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("base64-encoded here"), "{human}");
    assert!(
        !human.contains(&key) && !human.contains(&b64(&key)),
        "{human}"
    );
}

#[test]
fn a_base64_env_file_and_a_docker_config_are_decoded_to_a_bounded_depth() {
    let (a, b) = (fake_openai_key(25), fake_openai_key(26));
    let env = b64(&format!("DEBUG=1\nOPENAI_API_KEY={a}\n"));
    // base64 inside base64: a JSON document holding an encoded value.
    let inner = b64(&format!("OPENAI_API_KEY={b}"));
    let config = b64(&format!(
        "{{\"auths\":{{\"r.example\":{{\"auth\":\"{inner}\"}}}}}}"
    ));
    let t = Tree::new();
    t.write(
        "ci/vars.yml",
        format!("variables:\n  ENV_FILE: {env}\n  DOCKER_CONFIG: {config}\n"),
    );
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(
        scan.places(),
        ["ci/vars.yml:2", "ci/vars.yml:3"],
        "{}",
        scan.stderr
    );
    // Three levels deep is past the bound.
    let deeper = b64(&format!("x: {config}"));
    let t = Tree::new();
    t.write("ci/vars.yml", format!("DEEP: {deeper}\n"));
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!((scan.code, scan.findings.len()), (0, 0), "{}", scan.stderr);
}

#[test]
fn an_archive_larger_than_the_file_size_limit_is_still_opened() {
    let t = Tree::new();
    let noise = noise(6, 8 << 10);
    t.write(
        "dist/big.whl",
        zip_of(&[
            ("pkg/data.txt", &noise),
            ("pkg/settings.py", settings(27).as_bytes()),
        ]),
    );
    t.write("notes.txt", &noise);
    let scan = t.scan_json(&["--no-git", "--max-file-size", "4KiB"]);
    assert_eq!(
        scan.places(),
        ["dist/big.whl!pkg/settings.py:2"],
        "{}",
        scan.stderr
    );
    // The entry over the limit is skipped like the file over it.
    let out = t.scan().args(["--max-file-size", "4KiB"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 over the size limit"), "{stderr}");
}
