//! Attribute paths: where in a configuration a value lives, so a diagnostic can point at
//! `network.subnet_ids[1]` instead of "somewhere in the resource".

use std::fmt;

/// One step from a value to one of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute, by name.
    Attr(String),
    /// A map element, by key.
    Key(String),
    /// A list or tuple element, by position.
    Index(i64),
}

/// A path from the root of a resource's configuration to one value inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    /// The steps from the root, outermost first.
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the resource itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of one attribute step.
    pub fn attr(name: &str) -> Self {
        Self::root().then_attr(name)
    }

    /// This path followed by an attribute step.
    pub fn then_attr(mut self, name: &str) -> Self {
        self.steps.push(PathStep::Attr(name.to_string()));
        self
    }

    /// This path followed by a map-key step.
    pub fn then_key(mut self, key: &str) -> Self {
        self.steps.push(PathStep::Key(key.to_string()));
        self
    }

    /// This path followed by a list-index step.
    pub fn then_index(mut self, index: usize) -> Self {
        self.steps.push(PathStep::Index(index as i64));
        self
    }

    /// True for the empty path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    /// Renders the path the way HCL users write it: `network.subnet_ids[1]`, `tags["env"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_hcl() {
        let cases = [
            (AttributePath::attr("name"), "name"),
            (
                AttributePath::attr("network")
                    .then_attr("subnet_ids")
                    .then_index(1),
                "network.subnet_ids[1]",
            ),
            (AttributePath::attr("tags").then_key("env"), "tags[\"env\"]"),
            (AttributePath::root(), ""),
        ];
        for (path, want) in cases {
            assert_eq!(path.to_string(), want);
        }
    }
}
