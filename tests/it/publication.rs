//! Publication v3: signed manifests (checked by osservatorio and by Debian's minisign), and the
//! open data every bundle holds (SDMX-CSV, DCAT-AP_IT, OpenDocument), read by the portals' readers.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bundled_project, osservatorio, osservatorio_env, text, write};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Debian's minisign, or None where it is not installed (CI installs it: there it must be).
fn minisign_cli() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("minisign"))
        .find(|p| p.is_file());
    if found.is_none() && in_ci() {
        panic!("minisign is required in CI: .ci/run installs Debian's minisign");
    }
    found
}

/// A minisign key pair written as `NAME.key` (encrypted with `password` when given) and `NAME.pub`.
fn key_pair(dir: &Path, name: &str, password: Option<&str>) -> (PathBuf, PathBuf) {
    let kp = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p.to_string())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .expect("a key pair");
    let sk = dir.join(format!("{name}.key"));
    let pk = dir.join(format!("{name}.pub"));
    std::fs::write(&sk, kp.sk.to_box(None).expect("secret box").to_bytes()).expect("write key");
    std::fs::write(&pk, kp.pk.to_box().expect("public box").to_bytes()).expect("write pub");
    (sk, pk)
}

fn bundle_of(out: &std::process::Output) -> PathBuf {
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("bundle: ").map(str::to_string))
        .unwrap_or_else(|| panic!("the bundle's path: {}", text(out)));
    PathBuf::from(line)
}

fn run(p: &Path) {
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Renders the reports again: a new run to sign off.
fn render(p: &Path) {
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn make_writable(path: &Path) {
    let mut perms = std::fs::metadata(path).expect("file").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).expect("make writable");
}

fn add_publication(p: &Path, keys: &str) {
    let yaml = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("yaml");
    let yaml = format!(
        "{yaml}publication:\n  publisher: {{ name: Prefettura di Treviso, ipa: \"m_it\" }}\n  license: https://creativecommons.org/licenses/by/4.0/\n  theme: SOCI\n  frequency: MONTHLY\n  public_keys: [{keys}]\n  protection: 1\n"
    );
    write(p, "osservatorio.yaml", yaml.as_bytes());
}

#[test]
fn signed_bundles_verify_with_the_project_keys_and_debian_minisign() {
    let dir = bundled_project();
    let p = dir.path();
    let keys = tempfile::tempdir().expect("a folder for the keys, outside the project");
    let (plain_sk, plain_pk) = key_pair(keys.path(), "plain", None);
    let (office_sk, _) = key_pair(keys.path(), "office", Some("correct horse"));
    let (_, stranger_pk) = key_pair(keys.path(), "stranger", None);

    // An unsigned bundle, published before any key was configured.
    run(p);
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let unsigned = bundle_of(&out);
    assert!(!unsigned.join("MANIFEST.json.minisig").exists());
    let out = osservatorio(p, &["verify", &unsigned.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The project's key lives in keys/, as osservatorio.yaml names it.
    std::fs::create_dir_all(p.join("keys")).expect("keys folder");
    std::fs::copy(&plain_pk, p.join("keys/gruppo-pilotaggio.pub")).expect("copy key");
    add_publication(p, "keys/gruppo-pilotaggio.pub");
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(p, &["verify", &unsigned.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing signature"), "{}", text(&out));

    // An encrypted key needs its password from the environment, never a prompt.
    render(p);
    let office = office_sk.to_string_lossy().into_owned();
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi", "--sign", &office]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("OSSERVATORIO_SIGN_PASSWORD"),
        "{}",
        text(&out)
    );
    let wrong = [("OSSERVATORIO_SIGN_PASSWORD", "battery staple".to_string())];
    let out = osservatorio_env(
        p,
        &["publish", "--by", "Maria Rossi", "--sign", &office],
        &wrong,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("office.key"), "{}", text(&out));
    let right = [("OSSERVATORIO_SIGN_PASSWORD", "correct horse".to_string())];
    let out = osservatorio_env(
        p,
        &["publish", "--by", "Maria Rossi", "--sign", &office],
        &right,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let by_office = bundle_of(&out);
    // Signed by a key the project does not list.
    let out = osservatorio(p, &["verify", &by_office.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("unknown key"), "{}", text(&out));

    // Signed with the project's key: verify checks it with the configured key and a given one.
    render(p);
    let plain = plain_sk.to_string_lossy().into_owned();
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi", "--sign", &plain]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = bundle_of(&out);
    let arg = bundle.to_string_lossy().into_owned();
    assert!(bundle.join("MANIFEST.json.minisig").is_file());
    let out = osservatorio(p, &["verify", &arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("good signature"), "{}", text(&out));
    let plain_pub = plain_pk.to_string_lossy().into_owned();
    let out = osservatorio(p, &["verify", &arg, "--public-key", &plain_pub]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stranger = stranger_pk.to_string_lossy().into_owned();
    let out = osservatorio(p, &["verify", &arg, "--public-key", &stranger]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("unknown key"), "{}", text(&out));

    // Debian's minisign verifies the same manifest with the same public key.
    if let Some(cli) = minisign_cli() {
        let out = Command::new(&cli)
            .args(["-V", "-p"])
            .arg(&plain_pk)
            .arg("-m")
            .arg(bundle.join("MANIFEST.json"))
            .output()
            .expect("minisign runs");
        assert!(out.status.success(), "minisign -V: {}", text(&out));
        assert!(
            text(&out).contains("Trusted comment: bundle:"),
            "{}",
            text(&out)
        );
        // And a key minisign itself made (-W: no password) signs bundles too.
        let g = Command::new(&cli)
            .args(["-G", "-W", "-p"])
            .arg(keys.path().join("cli.pub"))
            .arg("-s")
            .arg(keys.path().join("cli.key"))
            .output()
            .expect("minisign -G runs");
        assert!(g.status.success(), "minisign -G: {}", text(&g));
        render(p);
        let cli_key = keys.path().join("cli.key").to_string_lossy().into_owned();
        let out = osservatorio(p, &["publish", "--by", "Maria Rossi", "--sign", &cli_key]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let by_cli = bundle_of(&out);
        let out = Command::new(&cli)
            .args(["-V", "-p"])
            .arg(keys.path().join("cli.pub"))
            .arg("-m")
            .arg(by_cli.join("MANIFEST.json"))
            .output()
            .expect("minisign runs");
        assert!(out.status.success(), "minisign -V: {}", text(&out));
    }

    // One byte of the manifest changes: the signature no longer holds.
    let manifest = bundle.join("MANIFEST.json");
    make_writable(&manifest);
    let changed = std::fs::read_to_string(&manifest)
        .expect("manifest")
        .replace("Maria Rossi", "Maria Rossa");
    std::fs::write(&manifest, changed).expect("tamper");
    let out = osservatorio(p, &["verify", &arg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("bad signature"), "{}", text(&out));
}

#[test]
fn publication_settings_name_the_key_and_file_that_are_wrong() {
    let dir = bundled_project();
    let p = dir.path();
    write(
        p,
        "keys/broken.pub",
        b"untrusted comment: nothing\nnot base64\n",
    );
    let yaml = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("yaml");
    let yaml = format!(
        "{yaml}publication:\n  theme: SOCIAL\n  frequency: SOMETIMES\n  license: cc-by\n  public_keys: [keys/broken.pub, keys/absent.pub]\n"
    );
    write(p, "osservatorio.yaml", yaml.as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    for needle in [
        "publication.theme",
        "publication.frequency",
        "publication.license",
        "publication.public_keys[0]",
        "broken.pub",
        "publication.public_keys[1]",
        "absent.pub",
    ] {
        assert!(t.contains(needle), "{needle}: {t}");
    }
    let yaml = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("yaml");
    write(
        p,
        "osservatorio.yaml",
        format!("{yaml}  secret_key: keys/x.key\n").as_bytes(),
    );
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("secret_key"), "{}", text(&out));
}

#[test]
fn every_bundle_holds_sdmx_csv_a_dcat_ap_it_record_and_ods_files() {
    let dir = bundled_project();
    let p = dir.path();
    add_publication(p, "");
    // Padova's ISTAT province code: open data names territories by it.
    let territories = std::fs::read_to_string(p.join("territories.csv")).expect("territories");
    let with_istat: String = territories
        .lines()
        .enumerate()
        .map(|(i, l)| match (i, l.split(',').next()) {
            (0, _) => format!("{l},istat\n"),
            (_, Some("PD")) => format!("{l},028\n"),
            _ => format!("{l},\n"),
        })
        .collect();
    write(p, "territories.csv", with_istat.as_bytes());
    run(p);
    // The rendered output has an .ods beside every .xlsx, and each page its SDMX-CSV.
    for d in ["pilotaggio", "piano-di-zona"] {
        let dir = p.join("out").join(d);
        assert!(dir.join("data.sdmx.csv").is_file(), "{d}/data.sdmx.csv");
        for e in std::fs::read_dir(&dir).expect("dashboard folder") {
            let path = e.expect("entry").path();
            if path.extension().is_some_and(|x| x == "xlsx") {
                assert!(path.with_extension("ods").is_file(), "{}", path.display());
            }
        }
    }
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = bundle_of(&out);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("MANIFEST.json")).expect("manifest"),
    )
    .expect("JSON");
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for f in ["data.sdmx.csv", "catalog.jsonld", "pilotaggio/data.ods"] {
        assert!(files.contains(&f), "{f} in the manifest: {files:?}");
    }
    for f in files.iter().filter(|f| f.ends_with(".xlsx")) {
        let ods = format!("{}.ods", f.trim_end_matches(".xlsx"));
        assert!(files.contains(&ods.as_str()), "{ods} in the manifest");
    }
    // Suppressed figures: no value, and primary (A) told apart from secondary (D).
    let sdmx = std::fs::read_to_string(bundle.join("data.sdmx.csv")).expect("sdmx");
    assert!(sdmx.starts_with(
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,CONF_STATUS\n"
    ));
    assert!(sdmx.contains(",2024-M03,"), "monthly periods as 2024-M03");
    assert!(
        sdmx.contains(",028,"),
        "REF_AREA is the ISTAT code where there is one"
    );
    assert!(!sdmx.contains(",PD,"), "{sdmx}");
    assert!(
        sdmx.contains(",,PC,A\n") || sdmx.contains(",,NR,A\n"),
        "{sdmx}"
    );
    assert!(sdmx.contains(",D\n"), "secondary suppression");
    // The readers portals use: pysdmx, rdflib, odfpy.
    let script = common::repo().join("tests/check_open_data.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&bundle)
        .arg("m_it")
        .output()
        .expect("python3 runs");
    match out.status.code() {
        Some(0) => {}
        Some(77) if !in_ci() => eprintln!("skipped the Python readers: {}", text(&out)),
        _ => panic!("{}: {}", script.display(), text(&out)),
    }
    let out = osservatorio(p, &["verify", &bundle.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_data_files_a_bundle_was_computed_from_stay_while_it_exists() {
    let dir = bundled_project();
    let p = dir.path();
    run(p);
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bundle = bundle_of(&out);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("MANIFEST.json")).expect("manifest"),
    )
    .expect("JSON");
    let sources = manifest["sources"].as_array().expect("sources");
    assert!(!sources.is_empty());
    let mut named = Vec::new();
    for s in sources {
        let files = s["data_files"].as_array().expect("data_files");
        assert!(!files.is_empty(), "{s}");
        named.extend(files.iter().filter_map(|f| f.as_str()).map(str::to_string));
    }
    let first = sources[0]["name"].as_str().expect("name").to_string();
    let before = common::stored_file(p, &first).expect("a stored file");
    // Every source is read again into new files: the superseded ones the bundle names stay.
    let out = osservatorio(p, &["run", "--full"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = common::stored_file(p, &first).expect("a stored file");
    assert_ne!(before, after, "run --full writes new data files");
    for f in &named {
        assert!(p.join("warehouse").join(f).is_file(), "{f} was removed");
    }
}
