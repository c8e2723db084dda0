//! Who may take over a child that already exists under the name we would give it.
//!
//! Cloud names are deterministic, so a second Terraform state (a copied module, a
//! teammate's fresh local state, another CI workspace) that plans the same environment
//! and database names finds the first state's children under those names. Those are
//! never adopted, modified or deleted. Only what a crashed create of *this* resource left
//! behind is adopted: every child is created carrying [`TAG_LIFECYCLE`] = [`CREATING`]
//! (a tag on AWS, machine metadata on Fly.io, a plain-text binding on Workers), and the
//! marker is removed once the resource's whole create has finished. A child without the
//! marker was finished by some state — if it is not in ours, it is another's.
//!
//! A unit with several children may instead mark one *anchor*: the child its create makes
//! first and finishes last (a Fargate service's log group). The children made after it go
//! unmarked and are adopted when the anchor is found unfinished ([`Owner::after_anchor`]),
//! so finishing a create costs one request instead of one per child.

use super::BackendError;
use std::collections::BTreeMap;

/// The marker key: present, with value [`CREATING`], while a create is unfinished.
pub const TAG_LIFECYCLE: &str = "platform:lifecycle";
/// The marker value.
pub const CREATING: &str = "creating";
/// The marker as a Workers plain-text binding name (binding names are JS identifiers).
pub const WORKER_LIFECYCLE_BINDING: &str = "PLATFORM_LIFECYCLE";

/// What may be done with a child found under our name when this resource is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours, left unfinished by a crashed or cancelled create: adopt it and finish.
    Unfinished,
    /// This provider made it for the same environment, and its create finished: it
    /// belongs to another Terraform state (or to this one before a `state rm`).
    OtherState,
    /// Not made by this provider for this environment.
    Stranger,
}

/// Classifies a child by its tags (or metadata): `owner` is the `platform:environment`
/// tag and value this resource gives its children.
pub fn claim(tags: &BTreeMap<String, String>, owner: (&str, &str)) -> Claim {
    let ours = tags.get(owner.0).map(String::as_str) == Some(owner.1);
    match (ours, tags.get(TAG_LIFECYCLE).map(String::as_str)) {
        (true, Some(CREATING)) => Claim::Unfinished,
        (true, _) => Claim::OtherState,
        (false, _) => Claim::Stranger,
    }
}

/// `tags` plus the creating marker, for a child being created.
pub fn creating(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    tags.insert(TAG_LIFECYCLE.into(), CREATING.into());
    tags
}

/// Whether the tags carry the creating marker.
pub fn is_creating(tags: &BTreeMap<String, String>) -> bool {
    tags.get(TAG_LIFECYCLE).map(String::as_str) == Some(CREATING)
}

/// A child that exists under our name and may not be taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The child, e.g. "The ECS cluster `prod-cluster`".
    pub what: String,
    /// Who holds it.
    pub claim: Claim,
    /// How to take it over from this configuration, when import can: set by the
    /// resource, which knows its type and import ID.
    pub import: Option<String>,
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.claim {
            Claim::OtherState | Claim::Unfinished => write!(
                f,
                "{} already exists: terraform-provider-platform created it for the same environment, and its create finished, so it belongs to another Terraform state (another working directory or workspace using these names). It was neither adopted nor changed.",
                self.what
            )?,
            Claim::Stranger => write!(
                f,
                "{} already exists and was not created by terraform-provider-platform for this environment. It was neither adopted nor changed.",
                self.what
            )?,
        }
        match (&self.claim, &self.import) {
            (Claim::Stranger, _) => {
                write!(f, " Choose another name, or delete it if it is a leftover.")
            }
            (_, Some(cmd)) => write!(
                f,
                " To manage it from this configuration instead, import it (the address is shown below, e.g. `{}`): `{cmd}`. Otherwise choose another name.",
                cmd.split_whitespace().nth(2).unwrap_or_default()
            ),
            (_, None) => write!(f, " Choose another name, or import it into this state."),
        }
    }
}

/// Whose children a call may touch: the `platform:environment` tag and value this
/// resource gives its children, and whether the resource is being created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    /// The owner tag (key, value).
    pub tag: (&'a str, &'a str),
    /// True while the resource is not in state yet: an existing child is adopted only
    /// when unfinished, and new children carry the creating marker. False for a resource
    /// in state, whose children carrying its owner tag are its own.
    pub creating: bool,
    /// Whether children made now carry the marker: true, except for the children a unit
    /// makes after its anchor (see [`Owner::after_anchor`]).
    pub marks: bool,
}

impl Owner<'_> {
    /// Refuses an existing child that this call may not take over.
    pub fn check(
        &self,
        what: impl FnOnce() -> String,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        if !self.creating && claim(tags, self.tag) != Claim::Stranger {
            return Ok(());
        }
        check(what, tags, self.tag)
    }

    /// Who owns the children of a unit made after its *anchor*: the one child that a
    /// create makes first, finishes last and that alone carries the marker, so a create
    /// costs one marker removal instead of one per child. `anchor_unfinished`: the
    /// anchor was found carrying the marker (an unfinished create of this resource).
    ///
    /// - Anchor unfinished: the children of ours found under our names were made by the
    ///   same create after it; they are adopted, strangers refused.
    /// - Anchor made now (none found): a child of ours found without the marker belongs
    ///   to a finished create, another state's, and is refused; one with the marker (made
    ///   by an older version that marked every child) is adopted. New children are not
    ///   marked: the anchor speaks for them.
    /// - Not creating: unchanged.
    pub fn after_anchor(self, anchor_unfinished: bool) -> Self {
        Owner {
            tag: self.tag,
            creating: self.creating && !anchor_unfinished,
            marks: false,
        }
    }

    /// The tags a child is created (or brought to) with: the marker while creating.
    pub fn tags(&self, desired: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        if self.creating && self.marks {
            creating(desired)
        } else {
            desired.clone()
        }
    }
}

/// Refuses a child found under our name unless it is an unfinished create of ours.
pub fn check(
    what: impl FnOnce() -> String,
    tags: &BTreeMap<String, String>,
    owner: (&str, &str),
) -> Result<(), BackendError> {
    match claim(tags, owner) {
        Claim::Unfinished => Ok(()),
        c => Err(BackendError::Taken(Taken {
            what: what(),
            claim: c,
            import: None,
        })),
    }
}

/// The command that imports a resource: `terraform import <type>.<NAME> <id>`, where
/// `NAME` is the resource's name in the configuration (Terraform does not tell providers
/// resource addresses; it prints the address under the diagnostic).
pub fn import_command(type_name: &str, id: &str) -> String {
    format!("terraform import {type_name}.NAME {id}")
}

/// Adds the import command to a [`BackendError::Taken`] from another state.
pub fn with_import(e: BackendError, type_name: &str, id: &str) -> BackendError {
    match e {
        BackendError::Taken(mut t) if t.claim != Claim::Stranger => {
            t.import = Some(import_command(type_name, id));
            BackendError::Taken(t)
        }
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_an_unfinished_create_of_the_same_environment_is_adopted() {
        let owner = ("platform:environment", "prod");
        let cases = [
            (
                "unfinished create",
                tags(&[
                    ("platform:environment", "prod"),
                    ("platform:lifecycle", "creating"),
                ]),
                Claim::Unfinished,
            ),
            (
                "finished by another state",
                tags(&[
                    ("platform:environment", "prod"),
                    ("managed-by", "terraform-provider-platform"),
                ]),
                Claim::OtherState,
            ),
            (
                "marker with another value",
                tags(&[
                    ("platform:environment", "prod"),
                    ("platform:lifecycle", "done"),
                ]),
                Claim::OtherState,
            ),
            (
                "another environment's unfinished create",
                tags(&[
                    ("platform:environment", "staging"),
                    ("platform:lifecycle", "creating"),
                ]),
                Claim::Stranger,
            ),
            ("no tags", tags(&[]), Claim::Stranger),
        ];
        for (name, t, want) in cases {
            assert_eq!(claim(&t, owner), want, "{name}");
            assert_eq!(
                check(|| "x".into(), &t, owner).is_ok(),
                want == Claim::Unfinished,
                "{name}"
            );
        }
    }

    #[test]
    fn a_resource_in_state_keeps_its_own_children_and_refuses_strangers() {
        let owner = Owner {
            tag: ("platform:environment", "prod"),
            creating: false,
            marks: true,
        };
        let ours = tags(&[("platform:environment", "prod")]);
        assert!(owner.check(|| "x".into(), &ours).is_ok());
        assert!(owner.check(|| "x".into(), &tags(&[])).is_err());
        assert_eq!(owner.tags(&ours), ours);
        let creating = Owner {
            creating: true,
            ..owner
        };
        assert!(creating.check(|| "x".into(), &ours).is_err());
        assert!(is_creating(&creating.tags(&ours)));
    }

    #[test]
    fn the_children_after_an_anchor_follow_it() {
        let owner = Owner {
            tag: ("platform:environment", "prod"),
            creating: true,
            marks: true,
        };
        let ours = tags(&[("platform:environment", "prod")]);
        let marked = creating(&ours);
        let stranger = tags(&[("platform:environment", "dev")]);
        // The anchor is made now: an unmarked child of ours is another state's; a marked
        // one (an older version's unfinished create) is adopted; new ones go unmarked.
        let fresh = owner.after_anchor(false);
        assert!(fresh.check(|| "x".into(), &ours).is_err());
        assert!(fresh.check(|| "x".into(), &marked).is_ok());
        assert!(fresh.check(|| "x".into(), &stranger).is_err());
        assert_eq!(fresh.tags(&ours), ours);
        // The anchor was left unfinished: what the same create made after it is adopted.
        let resumed = owner.after_anchor(true);
        assert!(resumed.check(|| "x".into(), &ours).is_ok());
        assert!(resumed.check(|| "x".into(), &stranger).is_err());
        assert_eq!(resumed.tags(&ours), ours);
        // A resource in state keeps its children whatever the anchor says.
        let kept = Owner {
            creating: false,
            ..owner
        }
        .after_anchor(false);
        assert!(kept.check(|| "x".into(), &ours).is_ok());
        assert!(kept.check(|| "x".into(), &stranger).is_err());
    }

    #[test]
    fn the_marker_is_added_and_recognised() {
        let t = creating(&tags(&[("team", "a")]));
        assert!(is_creating(&t));
        assert_eq!(t["team"], "a");
        assert!(!is_creating(&tags(&[("team", "a")])));
    }

    #[test]
    fn a_refusal_names_its_child_and_the_import_command() {
        let owner = ("platform:environment", "prod");
        let finished = tags(&[("platform:environment", "prod")]);
        let e = check(|| "The RDS instance `prod-main`".into(), &finished, owner).unwrap_err();
        let text = with_import(e, "platform_database", "prod/main").to_string();
        assert!(text.contains("The RDS instance `prod-main`"), "{text}");
        assert!(text.contains("another Terraform state"), "{text}");
        assert!(
            text.contains("`terraform import platform_database.NAME prod/main`"),
            "{text}"
        );
        let stranger = check(
            || "The ECS cluster `prod-cluster`".into(),
            &tags(&[]),
            owner,
        )
        .unwrap_err();
        let text = with_import(stranger, "platform_environment", "prod").to_string();
        assert!(text.contains("`prod-cluster`"), "{text}");
        assert!(!text.contains("terraform import"), "{text}");
    }
}
