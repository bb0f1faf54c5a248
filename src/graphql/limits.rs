//! Bounds on what one operation may set off, checked on the parsed document
//! before it is validated or run (by the engine hooks, `hooks`): the same
//! check serves `/graphql` over HTTP and every operation on a WebSocket.
//!
//! * At most [`MAX_ROOT_FIELDS`] root fields, aliases counted one each, so a
//!   request cannot repeat an expensive mutation or query under many aliases.
//! * At most one of [`SINGLE_USE_FIELDS`] (`login`, `register`): each hashes a
//!   password, which costs tens of milliseconds and about 19 MiB.
//!
//! Fields reached through fragments at the root count as if written there.
//! Every operation of the document is checked, whichever one is run. A
//! refusal is a `GRAPHQL_VALIDATION_FAILED` error (HTTP 400; an `error`
//! message on a WebSocket), and nothing of the operation runs.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
    Name, Pos, Positioned, ServerError, ServerResult,
};

/// Most root fields (aliases included) one operation may select.
pub const MAX_ROOT_FIELDS: usize = 20;

/// Root fields of which one operation may select at most one, together.
pub const SINGLE_USE_FIELDS: [&str; 2] = ["login", "register"];

/// Deepest chain of fragment spreads followed at the root; a document that
/// nests them deeper is refused rather than followed without end.
const MAX_FRAGMENT_NESTING: usize = 32;

/// Refuse a document one of whose operations is over a limit.
pub fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    let mut counter = Counter {
        fragments: &document.fragments,
        memo: HashMap::new(),
        in_progress: HashSet::new(),
    };
    for (_, operation) in document.operations.iter() {
        let count = counter.selection_set(&operation.node.selection_set.node, 0)?;
        if count.fields > MAX_ROOT_FIELDS {
            return Err(refusal(
                format!(
                    "an operation may select at most {MAX_ROOT_FIELDS} root fields (aliases included); this one selects {}",
                    count.fields
                ),
                operation.pos,
            ));
        }
        if count.single_use > 1 {
            return Err(refusal(
                "an operation may contain at most one `login` or `register`".into(),
                operation.pos,
            ));
        }
    }
    Ok(())
}

fn refusal(message: String, pos: Pos) -> ServerError {
    let mut err = ServerError::new(message, Some(pos));
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", "GRAPHQL_VALIDATION_FAILED");
    err
}

/// Root fields of a selection set.
#[derive(Clone, Copy, Default)]
struct Count {
    fields: usize,
    single_use: usize,
}

impl Count {
    fn add(&mut self, other: Count) {
        self.fields = self.fields.saturating_add(other.fields);
        self.single_use = self.single_use.saturating_add(other.single_use);
    }
}

/// Counts root fields, each named fragment once (a fragment spread many
/// times costs one look-up per spread, not a new walk).
struct Counter<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    memo: HashMap<&'a str, Count>,
    /// Fragments being counted: a spread of one of these is a cycle, which
    /// validation refuses later; it counts nothing here.
    in_progress: HashSet<&'a str>,
}

impl<'a> Counter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, nesting: usize) -> ServerResult<Count> {
        let mut count = Count::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    count.fields = count.fields.saturating_add(1);
                    if SINGLE_USE_FIELDS.contains(&field.node.name.node.as_str()) {
                        count.single_use = count.single_use.saturating_add(1);
                    }
                }
                // Syntactic nesting is bounded by the parser's recursion limit.
                Selection::InlineFragment(inline) => {
                    count.add(self.selection_set(&inline.node.selection_set.node, nesting)?);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    count.add(self.fragment(name, nesting + 1, item.pos)?);
                }
            }
        }
        Ok(count)
    }

    fn fragment(&mut self, name: &'a str, nesting: usize, pos: Pos) -> ServerResult<Count> {
        if let Some(count) = self.memo.get(name) {
            return Ok(*count);
        }
        if nesting > MAX_FRAGMENT_NESTING {
            return Err(refusal(
                format!("fragment spreads may nest at most {MAX_FRAGMENT_NESTING} deep"),
                pos,
            ));
        }
        // Unknown fragments are for validation to report.
        let Some(definition) = self.fragments.get(name) else {
            return Ok(Count::default());
        };
        if !self.in_progress.insert(name) {
            return Ok(Count::default());
        }
        let count = self.selection_set(&definition.node.selection_set.node, nesting)?;
        self.in_progress.remove(name);
        self.memo.insert(name, count);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn check(query: &str) -> Result<(), String> {
        let document = parse_query(query).map_err(|e| e.to_string())?;
        check_document(&document).map_err(|e| e.message)
    }

    #[test]
    fn aliases_and_fragments_count_as_root_fields() {
        let twenty = (0..20)
            .map(|i| format!("a{i}: me {{ userID }} "))
            .collect::<String>();
        assert!(check(&format!("{{ {twenty} }}")).is_ok());
        assert!(check(&format!("{{ {twenty} extra: me {{ userID }} }}")).is_err());
        // Ten fields in a fragment spread three times, plus an inline one.
        let ten = (0..10)
            .map(|i| format!("b{i}: __typename "))
            .collect::<String>();
        let spread =
            format!("{{ ...F ...F ... on Query {{ ...F }} }} fragment F on Query {{ {ten} }}");
        assert!(check(&spread).is_err());
        let once = format!("{{ ...F }} fragment F on Query {{ {ten} }}");
        assert!(check(&once).is_ok());
    }

    #[test]
    fn one_login_or_register_per_operation() {
        let login = "login(username: \"a\", password: \"b\") { token }";
        let register = "register(email: \"a@b.c\", username: \"a\", password: \"b\") { token }";
        assert!(check(&format!("mutation {{ {login} }}")).is_ok());
        assert!(check(&format!("mutation {{ a: {login} b: {login} }}")).is_err());
        assert!(check(&format!("mutation {{ {login} {register} }}")).is_err());
        let hidden = format!("mutation {{ {login} ...F }} fragment F on Mutation {{ {register} }}");
        assert!(check(&hidden).is_err());
    }

    #[test]
    fn fragment_cycles_and_long_chains_end() {
        assert!(
            check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }").is_ok()
        );
        let chain = (0..100)
            .map(|i| format!("fragment F{i} on Query {{ ...F{} }} ", i + 1))
            .collect::<String>();
        assert!(check(&format!("{{ ...F0 }} {chain}")).is_err());
    }
}
