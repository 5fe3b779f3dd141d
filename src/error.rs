//! Errors: a small struct around a `#[non_exhaustive]` kind, always with a location.

use serde::Serialize;
use std::fmt;

/// Where an error or finding is: file, line (1-based, as a text editor counts), column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file, as the user named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column (character position in a YAML file, field number in a table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// A name for the place: a column header, or a JSON pointer into a YAML file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: Some(file.into()),
            ..Location::default()
        }
    }

    /// This location at `line`, `column`.
    #[must_use]
    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// This location with a field name.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(file) = &self.file {
            f.write_str(file)?;
            sep = ":";
        }
        if let Some(line) = self.line {
            write!(f, "{sep}{line}")?;
            sep = ":";
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, "{sep} {field}")?;
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not YAML we can read (syntax, duplicate key, a budget exceeded).
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// The file does not match its JSON Schema.
    #[error("does not match {schema}: {message}")]
    Schema {
        /// The schema file name, e.g. `scheme.schema.json`.
        schema: &'static str,
        /// What the schema says is wrong.
        message: String,
    },
    /// The file is well formed but wrong against the standard (unknown target, duplicate code).
    #[error("{0}")]
    Invalid(String),
    /// No scheme has this id.
    #[error("unknown scheme `{id}`{}", nearest_suffix(.nearest))]
    UnknownScheme {
        /// The id asked for.
        id: String,
        /// The nearest ids that exist.
        nearest: Vec<String>,
    },
    /// An input file cannot be read as a return (not a table, bad encoding...).
    #[error("{0}")]
    Input(String),
    /// The header has no column of this name (see `Table::explain_missing`, which says where in
    /// the file such a column is).
    #[error("{message}")]
    MissingColumn {
        /// The column wanted.
        column: String,
        /// What is wrong, for a person.
        message: String,
    },
    /// A table cannot be published under its disclosure policy (its audit failed, or the
    /// policy cannot be applied to it).
    #[error("{0}")]
    Disclosure(String),
}

fn nearest_suffix(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", nearest.join(", "))
    }
}

/// An error with its location.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
    location: Location,
}

impl Error {
    /// An error of `kind` at `location`.
    pub fn new(kind: ErrorKind, location: Location) -> Self {
        Error {
            kind: Box::new(kind),
            location,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The same error, of the same kind, placed in `file` when it names no file yet.
    #[must_use]
    pub fn in_file(mut self, file: &str) -> Self {
        if self.location.file.is_none() {
            self.location.file = Some(file.to_owned());
        }
        self
    }

    /// The same error, of the same kind, placed in `file` at `line` when it names no line yet.
    #[must_use]
    pub fn at_line(mut self, file: &str, line: u64) -> Self {
        self = self.in_file(file);
        if self.location.line.is_none() {
            self.location.line = Some(line);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.location.to_string();
        let text = if loc.is_empty() {
            self.kind.to_string()
        } else {
            format!("{loc}: {}", self.kind)
        };
        // Errors quote file names, headers and values: none may drive the terminal.
        f.write_str(&crate::text::printable(&text))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placing_an_error_keeps_its_kind_and_any_place_it_had() {
        let e = Error::new(
            ErrorKind::Io(std::io::Error::other("disk")),
            Location::default(),
        )
        .at_line("a.csv", 7);
        assert!(matches!(e.kind(), ErrorKind::Io(_)));
        assert_eq!(
            (e.location().file.as_deref(), e.location().line),
            (Some("a.csv"), Some(7))
        );
        let e = Error::new(
            ErrorKind::Invalid("x".into()),
            Location::file("b.yaml").at(3, 4),
        )
        .at_line("c.csv", 9);
        assert!(matches!(e.kind(), ErrorKind::Invalid(_)));
        assert_eq!(
            (e.location().file.as_deref(), e.location().line),
            (Some("b.yaml"), Some(3))
        );
    }
}
