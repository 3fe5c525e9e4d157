//! What the Debian package ships beside the binary: the man pages and shell completions the binary
//! writes from its own command-line definitions (checked by groff and by each shell, against the
//! commands `--help` lists), and the systemd unit the README shows. `.ci/run` builds, installs
//! and runs the package itself (`packaging/check-deb.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{BIN, repo, text};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A program the test runs, or None where it is not installed (CI installs it: there it must be).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() && in_ci() {
        panic!("{name} is required in CI: .ci/run installs it with apt-get");
    }
    if found.is_none() {
        eprintln!("{name} not installed: its part of the test runs where it is (CI installs it)");
    }
    found
}

/// The commands `osservatorio --help` lists, without `help`.
fn listed_commands() -> Vec<String> {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let help = String::from_utf8(out.stdout).unwrap();
    let section = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("--help has a Commands section");
    let commands: Vec<String> = section
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    assert!(commands.len() > 15, "{commands:?}");
    commands
}

/// The long options `osservatorio COMMAND --help` lists.
fn listed_options(command: &str) -> Vec<String> {
    let out = Command::new(BIN)
        .args([command, "--help"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
        .filter(|w| w != "--help")
        .collect()
}

fn generate(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn run_in(program: &Path, args: &[&str]) -> std::process::Output {
    Command::new(program).args(args).output().unwrap()
}

#[test]
fn the_packaging_commands_stay_out_of_the_users_help() {
    let help = generate(&["--help"]);
    for hidden in ["man", "completions"] {
        assert!(
            !help
                .lines()
                .any(|l| l.split_whitespace().next() == Some(hidden)),
            "--help does not list {hidden}:\n{help}"
        );
    }
    let out = Command::new(BIN).arg("man").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "man without --out is a usage error: {}",
        text(&out)
    );
    assert!(text(&out).contains("--out"), "{}", text(&out));
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn the_man_pages_describe_every_command_and_render_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let printed = generate(&["man", "--out", dir.path().to_str().unwrap()]);
    let commands = listed_commands();

    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("osservatorio-{c}.1"))
        .collect();
    expected.push("osservatorio.1".to_string());
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, expected, "one page per command listed by --help");
    assert_eq!(printed.lines().count(), expected.len(), "{printed}");

    let Some(groff) = tool("groff") else { return };
    for page in &written {
        // -ww: every warning; -z: check only. The page must render without a complaint.
        let check = run_in(
            &groff,
            &["-man", "-ww", "-z", dir.path().join(page).to_str().unwrap()],
        );
        assert!(
            check.status.success() && check.stderr.is_empty(),
            "{page}: {}",
            text(&check)
        );
    }
    let rendered = |page: &str| {
        let out = run_in(
            &groff,
            &[
                "-man",
                "-Tutf8",
                "-P-cbou",
                dir.path().join(page).to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let top = rendered("osservatorio.1");
    for c in &commands {
        assert!(
            top.contains(&format!("osservatorio-{c}(1)")),
            "osservatorio(1) names {c}:\n{top}"
        );
    }
    for hidden in ["osservatorio-man", "osservatorio-completions"] {
        assert!(
            !top.contains(hidden),
            "a packaging command is not in the manual:\n{top}"
        );
    }
    for c in ["run", "publish", "init", "schedule"] {
        let page = rendered(&format!("osservatorio-{c}.1"));
        for option in listed_options(c) {
            assert!(
                page.contains(&option),
                "osservatorio-{c}(1) describes {option}:\n{page}"
            );
        }
    }
}

#[test]
fn bash_completes_the_commands_and_their_options() {
    let script = generate(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("osservatorio.bash");
    std::fs::write(&file, &script).unwrap();
    let bash = tool("bash").expect("bash is installed");
    let parse = run_in(&bash, &["-n", file.to_str().unwrap()]);
    assert!(parse.status.success(), "{}", text(&parse));

    // Ask bash's completion function itself, as the shell does on TAB: the words so far, the
    // last one being completed.
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let (cur, prev) = (words[words.len() - 1], words[words.len() - 2]);
        let program = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; _osservatorio osservatorio '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            quoted.join(" "),
            words.len() - 1,
            words.join(" "),
        );
        let out = run_in(&bash, &["-c", &program]);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let commands = complete(&["osservatorio", ""]);
    let offered: Vec<&str> = commands.lines().collect();
    for c in listed_commands() {
        assert!(
            offered.contains(&c.as_str()),
            "bash offers {c}: {offered:?}"
        );
    }
    for hidden in ["man", "completions"] {
        assert!(
            !offered.contains(&hidden),
            "bash does not offer {hidden}: {offered:?}"
        );
    }
    let options = complete(&["osservatorio", "publish", "--"]);
    for option in listed_options("publish") {
        assert!(
            options.lines().any(|o| o == option),
            "bash offers {option}: {options}"
        );
    }
}

#[test]
fn zsh_and_fish_read_their_completions() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(zsh) = tool("zsh") {
        let file = dir.path().join("_osservatorio");
        std::fs::write(&file, generate(&["completions", "zsh"])).unwrap();
        let parse = run_in(&zsh, &["-n", file.to_str().unwrap()]);
        assert!(parse.status.success(), "{}", text(&parse));
    }
    if let Some(fish) = tool("fish") {
        let file = dir.path().join("osservatorio.fish");
        std::fs::write(&file, generate(&["completions", "fish"])).unwrap();
        let parse = run_in(&fish, &["--no-execute", file.to_str().unwrap()]);
        assert!(parse.status.success(), "{}", text(&parse));
        // What fish offers after `osservatorio ` on TAB.
        let program = format!(
            "source {}; complete --do-complete 'osservatorio '",
            file.display()
        );
        let out = run_in(&fish, &["--no-config", "-c", &program]);
        assert!(out.status.success(), "{}", text(&out));
        let offered: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.split('\t').next().map(str::to_string))
            .collect();
        for c in listed_commands() {
            assert!(offered.contains(&c), "fish offers {c}: {offered:?}");
        }
        assert!(
            !offered.iter().any(|o| o == "man" || o == "completions"),
            "{offered:?}"
        );
    }
}

#[test]
fn the_readme_shows_the_unit_the_package_installs() {
    let unit =
        std::fs::read_to_string(repo().join("packaging/debian/osservatorio.service")).unwrap();
    let unit: String = unit
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let shown = readme
        .split("```ini\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the README shows the systemd unit in an ini block");
    assert_eq!(
        shown, unit,
        "the README's unit is packaging/debian/osservatorio.service"
    );
    assert!(unit.contains("ExecStart=/usr/bin/osservatorio schedule"));
}
