//! Finds the line of each key in a YAML file, so that errors found after deserialising can still
//! point at the line a person has to edit.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line numbers (1-based) of every key and sequence item, by path: `sources[0].columns.data`.
#[derive(Debug, Default, Clone)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Indexes a YAML text's keys by line.
    pub fn build(text: &str) -> Self {
        let mut recv = Receiver::default();
        let mut parser = Parser::new_from_str(text);
        // A file that does not parse is reported by serde with its own location; the index stays partial.
        let _ = parser.load(&mut recv, false);
        LineIndex { lines: recv.lines }
    }

    /// The line of `path`, or of its nearest ancestor that has one.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path.to_string();
        loop {
            if let Some(l) = self.lines.get(&p) {
                return Some(*l);
            }
            let cut = p.rfind(['.', '['])?;
            p.truncate(cut);
        }
    }
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    lines: HashMap<String, usize>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Receiver {
    /// The path of the node that starts now, or None when the node is a mapping key.
    fn value_path(&mut self, line: usize, scalar: Option<&str>) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key }) => match key.take() {
                None => {
                    let k = scalar.unwrap_or_default().to_string();
                    let p = join(path, &k);
                    self.lines.entry(p).or_insert(line);
                    *key = Some(k);
                    None
                }
                Some(k) => Some(join(path, &k)),
            },
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                self.lines.entry(p.clone()).or_insert(line);
                Some(p)
            }
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(value, ..) => {
                self.value_path(line, Some(&value));
            }
            Event::Alias(_) => {
                self.value_path(line, None);
            }
            Event::MappingStart(..) => {
                if let Some(path) = self.value_path(line, None) {
                    self.stack.push(Frame::Map { path, key: None });
                } else {
                    // A complex key: give it a frame so its contents do not disturb the parent.
                    self.stack.push(Frame::Map {
                        path: String::from("?"),
                        key: None,
                    });
                }
            }
            Event::SequenceStart(..) => {
                let path = self
                    .value_path(line, None)
                    .unwrap_or_else(|| String::from("?"));
                self.stack.push(Frame::Seq { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_items() {
        let text = "name: x\nsources:\n  - name: a\n    table: t\n  - name: b\n    columns:\n      data: D\n    checks: [{ name: c, rule: r }]\n";
        let idx = LineIndex::build(text);
        assert_eq!(idx.line_of("name"), Some(1));
        assert_eq!(idx.line_of("sources[0].table"), Some(4));
        assert_eq!(idx.line_of("sources[1]"), Some(5));
        assert_eq!(idx.line_of("sources[1].columns.data"), Some(7));
        assert_eq!(idx.line_of("sources[1].checks[0].rule"), Some(8));
        assert_eq!(idx.line_of("sources[1].missing"), Some(5));
    }
}
