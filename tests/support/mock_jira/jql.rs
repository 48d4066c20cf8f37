//! A small subset of JQL for the search endpoint: `field op value` clauses
//! joined by `AND`, then an optional `ORDER BY`. Fields: `project` and
//! `key` (`=`, `!=`), `summary` and `text` (`~`, `!~`). Errors carry JIRA's
//! own wording where JIRA has one.
//!
//! `~` here is a case-insensitive substring match; JIRA's is a word search
//! with stemming, which the demo's few summaries do not need.

/// What a clause looks at.
pub struct Issue<'a> {
    pub key: &'a str,
    pub project_key: &'a str,
    pub project_name: &'a str,
    pub summary: &'a str,
}

#[derive(Debug)]
pub struct Query {
    clauses: Vec<Clause>,
    /// `ORDER BY key DESC`; other orderings keep the key order.
    pub key_descending: bool,
}

#[derive(Debug)]
struct Clause {
    field: Field,
    negated: bool,
    value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Project,
    Key,
    Summary,
    Text,
}

#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Op(&'static str),
    Comma,
}

fn tokens(jql: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = jql.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '"' | '\'' => {
                it.next();
                let mut s = String::new();
                loop {
                    match it.next() {
                        None => return Err(format!("unterminated quote in {jql:?}")),
                        Some('\\') => s.push(it.next().unwrap_or('\\')),
                        Some(q) if q == c => break,
                        Some(ch) => s.push(ch),
                    }
                }
                out.push(Tok::Quoted(s));
            }
            '=' | '~' => {
                it.next();
                out.push(Tok::Op(if c == '=' { "=" } else { "~" }));
            }
            '!' => {
                it.next();
                match it.next() {
                    Some('=') => out.push(Tok::Op("!=")),
                    Some('~') => out.push(Tok::Op("!~")),
                    _ => return Err("expecting '!=' or '!~'".into()),
                }
            }
            ',' => {
                it.next();
                out.push(Tok::Comma);
            }
            '(' | ')' => return Err(format!("parentheses are not understood here ({jql:?})")),
            _ => {
                let mut s = String::new();
                while let Some(&ch) = it.peek() {
                    if ch.is_whitespace() || "=~!\"'(),".contains(ch) {
                        break;
                    }
                    s.push(ch);
                    it.next();
                }
                out.push(Tok::Word(s));
            }
        }
    }
    Ok(out)
}

fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(s)) if s.eq_ignore_ascii_case(w))
}

/// Parses `jql`; the error is the message JIRA's 400 answer carries.
pub fn parse(jql: &str) -> Result<Query, String> {
    let syntax = |detail: String| format!("Error in the JQL Query: {detail}");
    let toks = tokens(jql).map_err(syntax)?;
    let mut i = 0;
    let mut clauses = Vec::new();
    let mut key_descending = false;
    while i < toks.len() {
        if is_word(toks.get(i), "order") {
            if !is_word(toks.get(i + 1), "by") {
                return Err(syntax("expecting 'BY' after 'ORDER'".into()));
            }
            i += 2;
            loop {
                let Some(Tok::Word(f)) = toks.get(i) else {
                    return Err(syntax("expecting a field name after 'ORDER BY'".into()));
                };
                i += 1;
                let desc = is_word(toks.get(i), "desc");
                if desc || is_word(toks.get(i), "asc") {
                    i += 1;
                }
                if f.eq_ignore_ascii_case("key") || f.eq_ignore_ascii_case("issuekey") {
                    key_descending = desc;
                }
                if toks.get(i) != Some(&Tok::Comma) {
                    break;
                }
                i += 1;
            }
            if i < toks.len() {
                return Err(syntax(format!("unexpected {:?} after ORDER BY", toks[i])));
            }
            break;
        }
        if !clauses.is_empty() {
            if !is_word(toks.get(i), "and") {
                return Err(syntax(format!(
                    "this provider understands clauses joined by AND only (at {:?})",
                    toks[i]
                )));
            }
            i += 1;
        }
        let name = match toks.get(i) {
            Some(Tok::Word(w) | Tok::Quoted(w)) => w.clone(),
            other => return Err(syntax(format!("expecting a field name, got {other:?}"))),
        };
        let field = match name.to_ascii_lowercase().as_str() {
            "project" => Field::Project,
            "key" | "issuekey" | "issue" => Field::Key,
            "summary" => Field::Summary,
            "text" => Field::Text,
            _ => {
                return Err(format!(
                    "Field '{name}' does not exist or you do not have permission to view it."
                ))
            }
        };
        let Some(Tok::Op(op)) = toks.get(i + 1) else {
            return Err(syntax(format!("expecting an operator after '{name}'")));
        };
        let supported = match field {
            Field::Project | Field::Key => matches!(*op, "=" | "!="),
            Field::Summary | Field::Text => matches!(*op, "~" | "!~"),
        };
        if !supported {
            return Err(format!(
                "The operator '{op}' is not supported by the '{name}' field."
            ));
        }
        let value = match toks.get(i + 2) {
            Some(Tok::Word(w) | Tok::Quoted(w)) => w.clone(),
            _ => return Err(syntax(format!("expecting a value after '{name} {op}'"))),
        };
        clauses.push(Clause {
            field,
            negated: op.starts_with('!'),
            value,
        });
        i += 3;
    }
    Ok(Query {
        clauses,
        key_descending,
    })
}

impl Query {
    /// JIRA refuses a project it does not know, rather than matching nothing.
    pub fn check_projects(&self, known: &[(&str, &str)]) -> Result<(), String> {
        for c in self.clauses.iter().filter(|c| c.field == Field::Project) {
            let found = known.iter().any(|(key, name)| {
                c.value.eq_ignore_ascii_case(key) || c.value.eq_ignore_ascii_case(name)
            });
            if !found {
                return Err(format!(
                    "The value '{}' does not exist for the field 'project'.",
                    c.value
                ));
            }
        }
        Ok(())
    }

    pub fn matches(&self, issue: &Issue) -> bool {
        self.clauses.iter().all(|c| {
            let v = c.value.to_lowercase();
            let hit = match c.field {
                Field::Project => {
                    v == issue.project_key.to_lowercase() || v == issue.project_name.to_lowercase()
                }
                Field::Key => v == issue.key.to_lowercase(),
                Field::Summary | Field::Text => issue.summary.to_lowercase().contains(&v),
            };
            hit != c.negated
        })
    }
}
