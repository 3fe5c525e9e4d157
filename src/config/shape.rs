//! Every shape problem of a YAML file at once, from the JSON Schema generated from the same serde
//! types that read it: serde stops at the first unknown key or wrong type, and one `check` should
//! show everything to fix, each with the key's path and, for a misspelled key, the one meant.
//!
//! The walk covers what the generated schemas use (`$ref`, `type`, `enum`, `const`, `properties`,
//! `required`, `additionalProperties`, `items`, `anyOf`/`oneOf`/`allOf`); it runs only when serde
//! refused the file, so where the two ever disagree serde's own message is still shown.

use serde_json::Value;

/// A problem at a key path (`sources[0].options`), in words for the person editing the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShapeProblem {
    pub path: String,
    pub message: String,
    /// A value of the wrong kind, or not one of a fixed set: how a branch of a choice is ruled out.
    wrong_value: bool,
    /// For an unknown key: its map's path as segments, and the key meant when one is plain.
    unknown: Option<(Vec<Seg>, String, Option<String>)>,
}

/// A step of a path: a map's key or a list's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// `doc` with every unknown key renamed to the key meant (when that key is not there already) or
/// removed, so the rest of the file can still be read and checked.
pub(super) fn repaired(mut doc: Value, problems: &[ShapeProblem]) -> Value {
    // Last first: a key inside a misspelled one is reached before its parent is renamed.
    for p in problems.iter().rev() {
        let Some((at, key, meant)) = &p.unknown else {
            continue;
        };
        let node = at.iter().try_fold(&mut doc, |node, seg| match seg {
            Seg::Key(k) => node.get_mut(k.as_str()),
            Seg::Index(i) => node.get_mut(*i),
        });
        if let Some(map) = node.and_then(Value::as_object_mut)
            && let Some(v) = map.remove(key)
            && let Some(m) = meant
            && !map.contains_key(m)
        {
            map.insert(m.clone(), v);
        }
    }
    doc
}

/// Every problem of `doc` against `schema` (a root schema with its `definitions`).
pub(super) fn shape_problems(schema: &Value, doc: &Value) -> Vec<ShapeProblem> {
    let mut out = Vec::new();
    Walk { root: schema }.check(schema, doc, &mut Vec::new(), &mut out);
    out
}

struct Walk<'a> {
    root: &'a Value,
}

/// The path as messages and the line index write it: `sources[0].columns.data`.
fn shown(at: &[Seg]) -> String {
    let mut out = String::new();
    for seg in at {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The JSON type names a value has (an integer is also a number).
fn type_names(v: &Value) -> &'static [&'static str] {
    match v {
        Value::Null => &["null"],
        Value::Bool(_) => &["boolean"],
        Value::Number(n) if n.is_i64() || n.is_u64() => &["integer", "number"],
        Value::Number(_) => &["number"],
        Value::String(_) => &["string"],
        Value::Array(_) => &["array"],
        Value::Object(_) => &["object"],
    }
}

fn described(v: &Value) -> String {
    match v {
        Value::Null => "nothing (an empty value)".into(),
        Value::Bool(b) => format!("yes/no ({b})"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", crate::text::excerpt(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map of keys".into(),
    }
}

fn wanted(types: &[&str]) -> String {
    let words: Vec<&str> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "string" => "a text",
            "integer" => "a whole number",
            "number" => "a number",
            "boolean" => "true or false",
            "array" => "a list",
            "object" => "a map of keys",
            other => other,
        })
        .collect();
    if words.is_empty() {
        "nothing".into()
    } else {
        words.join(" or ")
    }
}

/// The fix for a value of the wrong type, when there is an obvious one.
fn type_hint(path: &str, v: &Value, types: &[&str]) -> String {
    let key = path.rsplit(['.', '[']).next().unwrap_or(path);
    match v {
        // YAML reads 2026, 2026-10 (no: that is a string) and 1.5 as numbers, yes/no as booleans.
        Value::Number(_) | Value::Bool(_) if types.contains(&"string") => {
            format!(": write it in quotes, {key}: \"{}\"", v)
        }
        _ => String::new(),
    }
}

impl Walk<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        let mut s = schema;
        for _ in 0..32 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(name) = r.strip_prefix("#/definitions/") else {
                break;
            };
            match self.root.get("definitions").and_then(|d| d.get(name)) {
                Some(next) => s = next,
                None => break,
            }
        }
        s
    }

    fn check(&self, schema: &Value, v: &Value, at: &mut Vec<Seg>, out: &mut Vec<ShapeProblem>) {
        let path = &shown(at);
        let schema = self.resolve(schema);
        if schema == &Value::Bool(false) {
            out.push(key_problem(path, "this key is not taken here".into()));
            return;
        }
        let Some(obj) = schema.as_object() else {
            return;
        };
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, v, at, out);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = obj.get(key).and_then(Value::as_array) {
                self.check_any(obj, branches, v, at, out);
            }
        }
        if let Some(allowed) = obj.get("enum").and_then(Value::as_array)
            && !allowed.contains(v)
        {
            out.push(problem(path, not_one_of(v, allowed)));
            return;
        }
        if let Some(c) = obj.get("const")
            && c != v
        {
            out.push(problem(path, not_one_of(v, std::slice::from_ref(c))));
            return;
        }
        if let Some(t) = obj.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !type_names(v).iter().any(|n| types.contains(n)) {
                let message = format!(
                    "{} where {} is expected{}",
                    described(v),
                    wanted(&types),
                    type_hint(path, v, &types)
                );
                out.push(problem(path, message));
                return;
            }
        }
        match v {
            Value::Object(map) => self.check_object(obj, map, at, out),
            Value::Array(items) => {
                if let Some(item) = obj.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        at.push(Seg::Index(i));
                        self.check(item, x, at, out);
                        at.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn check_object(
        &self,
        obj: &serde_json::Map<String, Value>,
        map: &serde_json::Map<String, Value>,
        at: &mut Vec<Seg>,
        out: &mut Vec<ShapeProblem>,
    ) {
        let path = shown(at);
        let props = obj.get("properties").and_then(Value::as_object);
        let closed = obj.get("additionalProperties") == Some(&Value::Bool(false));
        let known: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut meant_keys = Vec::new();
        for (k, x) in map {
            at.push(Seg::Key(k.clone()));
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.check(s, x, at, out),
                None if closed => {
                    let meant = did_you_mean(k, known.iter().copied()).map(str::to_string);
                    out.push(ShapeProblem {
                        unknown: Some((at[..at.len() - 1].to_vec(), k.clone(), meant.clone())),
                        ..key_problem(&shown(at), unknown_key(k, meant.as_deref(), &known))
                    });
                    // What is inside a misspelled key is checked as the key meant would be.
                    if let Some(m) = meant.filter(|m| !map.contains_key(m)) {
                        if let Some(s) = props.and_then(|p| p.get(&m)) {
                            self.check(s, x, at, out);
                        }
                        meant_keys.push(m);
                    }
                }
                None => {
                    if let Some(extra) = obj.get("additionalProperties").filter(|a| a.is_object()) {
                        self.check(extra, x, at, out);
                    }
                }
            }
            at.pop();
        }
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) && !meant_keys.iter().any(|m| m == r) {
                    let whole = if path.is_empty() { "the file" } else { &path };
                    out.push(key_problem(&path, format!("`{r}` is missing from {whole}")));
                }
            }
        }
    }

    /// A value that must match one of `branches`: when none matches, the problems of the branch
    /// it comes closest to (the chart whose `type` it names, the map form of a column), or the
    /// schema's own description of the forms.
    fn check_any(
        &self,
        obj: &serde_json::Map<String, Value>,
        branches: &[Value],
        v: &Value,
        at: &mut Vec<Seg>,
        out: &mut Vec<ShapeProblem>,
    ) {
        let path = &shown(at);
        let mut best: Option<Vec<ShapeProblem>> = None;
        for b in branches {
            let mut found = Vec::new();
            self.check(b, v, at, &mut found);
            if found.is_empty() {
                return;
            }
            if best
                .as_ref()
                .is_none_or(|x| closeness(&found) < closeness(x))
            {
                best = Some(found);
            }
        }
        let described_forms = obj.get("description").and_then(Value::as_str);
        match best {
            // A branch of the value's own kind whose only complaints are deeper inside it.
            Some(found) if found.iter().all(|p| &p.path != path) => out.extend(found),
            Some(found) => match described_forms {
                Some(d) => out.push(problem(
                    path,
                    format!("{} is not valid here: {d}", described(v)),
                )),
                None => out.extend(found),
            },
            None => {}
        }
    }
}

/// How far a branch is from matching: a value of the wrong kind or tag counts most.
fn closeness(found: &[ShapeProblem]) -> (usize, usize) {
    (found.iter().filter(|p| p.wrong_value).count(), found.len())
}

fn problem(path: &str, message: String) -> ShapeProblem {
    ShapeProblem {
        path: path.to_string(),
        message,
        wrong_value: true,
        unknown: None,
    }
}

fn key_problem(path: &str, message: String) -> ShapeProblem {
    ShapeProblem {
        wrong_value: false,
        ..problem(path, message)
    }
}

fn not_one_of(v: &Value, allowed: &[Value]) -> String {
    let list: Vec<String> = allowed
        .iter()
        .map(|a| match a {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let near = match v {
        Value::String(s) => did_you_mean(s, list.iter().map(String::as_str)),
        _ => None,
    };
    match near {
        Some(n) => format!(
            "{} is not accepted: did you mean `{n}`? (one of: {})",
            described(v),
            list.join(", ")
        ),
        None => format!(
            "{} is not accepted: one of {}",
            described(v),
            list.join(", ")
        ),
    }
}

fn unknown_key(k: &str, meant: Option<&str>, known: &[&str]) -> String {
    match meant {
        Some(n) => format!("unknown key `{k}`: did you mean `{n}`?"),
        None => format!(
            "unknown key `{k}`; the keys taken here: {} (the README's \"Configuration\" section describes them)",
            known.join(", ")
        ),
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a typo of it.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value, doc: Value) -> Vec<(String, String)> {
        shape_problems(&schema, &doc)
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn every_unknown_key_is_reported_with_the_one_meant() {
        let schema = json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "options": { "$ref": "#/definitions/O" },
                "name": { "type": "string" }
            },
            "definitions": { "O": { "type": "object", "additionalProperties": false,
                "properties": { "delimiter": { "type": "string" } } } }
        });
        let found = problems(
            schema.clone(),
            json!({ "option": {}, "name": "x", "options": { "delimeter": ";" } }),
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .any(|(p, m)| p == "option" && m.contains("did you mean `options`"))
        );
        assert!(
            found
                .iter()
                .any(|(p, m)| p == "options.delimeter" && m.contains("`delimiter`"))
        );
        // Inside a misspelled key, its content is checked as the key meant.
        let found = problems(
            schema.clone(),
            json!({ "option": { "delimeter": ";" }, "name": "x" }),
        );
        assert!(
            found
                .iter()
                .any(|(p, m)| p == "option.delimeter" && m.contains("`delimiter`")),
            "{found:?}"
        );
        assert!(problems(schema.clone(), json!({ "name": "x" })).is_empty());
        // Repaired, the keys meant replace the misspelled ones and the rest reads.
        let doc = json!({ "option": { "delimeter": ";", "odd": 1 }, "name": "x" });
        let fixed = repaired(doc.clone(), &shape_problems(&schema, &doc));
        assert_eq!(
            fixed,
            json!({ "options": { "delimiter": ";" }, "name": "x" })
        );
    }

    #[test]
    fn a_number_where_a_text_is_expected_says_to_quote_it() {
        let schema = json!({ "type": "object", "properties": { "period": { "type": "string" } } });
        let found = problems(schema, json!({ "period": 2026 }));
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("period: \"2026\""), "{found:?}");
    }

    #[test]
    fn the_branch_a_value_names_is_the_one_reported() {
        let variant = |t: &str, extra: &str| {
            json!({ "type": "object", "additionalProperties": false, "required": ["type"],
                    "properties": { "type": { "const": t }, extra: { "type": "string" } } })
        };
        let schema = json!({ "oneOf": [variant("kpi", "territory"), variant("trend", "grain")] });
        let found = problems(schema, json!({ "type": "trend", "grian": "month" }));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("did you mean `grain`"), "{found:?}");
    }

    #[test]
    fn a_value_of_none_of_the_forms_gets_the_forms_described() {
        let schema = json!({ "description": "a header or { header, pad }",
                             "anyOf": [{ "type": "string" }, { "type": "object" }] });
        let found = problems(schema, json!([1]));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.contains("a header or { header, pad }"),
            "{found:?}"
        );
    }
}
