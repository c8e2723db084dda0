//! The master user name and write-only password, checked as RDS for PostgreSQL checks
//! them at CreateDBInstance, without ever repeating the password.

use crate::planner::limits::{self};
use crate::planner::{Violation, messages};
use crate::value::path::AttributePath;

use super::*;

/// Checks the master user name and the write-only master password as RDS for PostgreSQL
/// would at CreateDBInstance, so a bad one fails the plan instead of the apply. The
/// password comes from the configuration during validation only (write-only values never
/// reach plan or state) and no message repeats it or any part of it.
pub fn check_master_credentials(username: Option<&str>, password: Option<&str>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(name) = username {
        check_master_username(name, &mut out);
    }
    if let Some(password) = password {
        check_master_password(password, &mut out);
    }
    out
}

pub(super) fn check_master_username(name: &str, out: &mut Vec<Violation>) {
    const EXAMPLE: &str = "app_admin";
    let path = AttributePath::attr("master_username");
    let length = name.chars().count();
    if !limits::RDS_MASTER_USERNAME_LENGTH.contains(length as i64) {
        out.push(messages::length_out_of_range(
            path,
            "master user name",
            length,
            limits::RDS_MASTER_USERNAME_LENGTH,
            Some(EXAMPLE),
        ));
        return;
    }
    let mut chars = name.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !shaped {
        out.push(messages::invalid_format(
            path,
            "Invalid Master Username",
            name,
            "letters, digits or underscores, starting with a letter, as RDS for PostgreSQL \
             requires",
            EXAMPLE,
        ));
        return;
    }
    let lower = name.to_ascii_lowercase();
    let reserved = limits::RDS_RESERVED_MASTER_USERNAMES.contains(&lower.as_str())
        || limits::RDS_RESERVED_USERNAME_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p));
    if reserved {
        out.push(messages::reserved_master_username(path, name, EXAMPLE));
    }
}

pub(super) fn check_master_password(password: &str, out: &mut Vec<Violation>) {
    let path = AttributePath::attr("master_password_wo");
    let range = limits::RDS_MASTER_PASSWORD_LENGTH;
    let length = password.chars().count() as i64;
    if !range.contains(length) {
        let side = if length < range.min {
            format!("shorter than {}", range.min)
        } else {
            format!("longer than {}", range.max)
        };
        out.push(messages::invalid_master_password(
            path.clone(),
            &format!(
                "is {side} characters, but RDS for PostgreSQL needs {} to {} characters",
                range.min, range.max
            ),
        ));
    }
    // Not printable ASCII (a space is not `is_ascii_graphic`), or one of RDS's exceptions.
    let forbidden = password
        .chars()
        .any(|c| !c.is_ascii_graphic() || limits::RDS_MASTER_PASSWORD_FORBIDDEN.contains(&c));
    if forbidden {
        out.push(messages::invalid_master_password(
            path,
            "contains a character RDS does not accept in a master password: it takes \
             printable ASCII characters except `/`, `@`, `\"` and spaces",
        ));
    }
}

pub(super) fn check_credentials(input: &DatabaseInput, out: &mut Vec<Violation>) {
    let wo = input.master_password_wo_set;
    if wo && input.manage_master_password == Some(true) {
        out.push(messages::conflicting_attributes(
            AttributePath::attr("master_password_wo"),
            "manage_master_password",
            "master_password_wo",
            "RDS either keeps the master password in Secrets Manager or takes yours",
        ));
    }
    if wo && input.master_password_wo_version.is_none() {
        out.push(messages::required_with(
            AttributePath::attr("master_password_wo_version"),
            "master_password_wo_version",
            "`master_password_wo` is set, because a write-only value never reaches the state \
             and only a new version tells the provider to send it again",
            "master_password_wo_version = 1",
        ));
    }
    if !wo && input.master_password_wo_version.is_some() {
        out.push(messages::needs_companion(
            AttributePath::attr("master_password_wo_version"),
            "master_password_wo_version",
            "master_password_wo",
            "only tells the provider when to send `master_password_wo` again",
        ));
    }
    if !wo && input.manage_master_password == Some(false) {
        out.push(messages::no_master_password(AttributePath::attr(
            "manage_master_password",
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_credentials_follow_rds_for_postgresql() {
        /// (username, password, want: (path, fragment) per violation)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<(&'a str, &'a str)>);
        let secret = "hunter2@home";
        let cases: [Case; 12] = [
            (Some("postgres"), Some("correct-horse-battery"), vec![]),
            (Some("app_admin"), None, vec![]),
            (None, Some(&"x".repeat(128)), vec![]),
            (
                Some("rdsadmin"),
                None,
                vec![("master_username", "`rdsadmin` is reserved")],
            ),
            (
                Some("RdsAdmin"),
                None,
                vec![("master_username", "is reserved")],
            ),
            (Some("user"), None, vec![("master_username", "is reserved")]),
            (
                Some("pg_owner"),
                None,
                vec![("master_username", "starting with `pg_`")],
            ),
            (
                Some("1admin"),
                None,
                vec![("master_username", "starting with a letter")],
            ),
            (
                Some(&"a".repeat(64)),
                None,
                vec![("master_username", "must be 1 to 63 characters")],
            ),
            (
                None,
                Some("short"),
                vec![("master_password_wo", "is shorter than 8 characters")],
            ),
            (
                None,
                Some(&"x".repeat(129)),
                vec![("master_password_wo", "is longer than 128 characters")],
            ),
            (
                None,
                Some(secret),
                vec![("master_password_wo", "except `/`, `@`, `\"` and spaces")],
            ),
        ];
        for (username, password, want) in cases {
            let got = check_master_credentials(username, password);
            let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
            let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
            assert_eq!(got_paths, want_paths, "{username:?}: {got:#?}");
            for (v, (_, fragment)) in got.iter().zip(&want) {
                assert!(v.detail.contains(fragment), "{}", v.detail);
            }
        }
        for bad in [
            "pass word1",
            "pass/word1",
            "pass\"word1",
            "pässword1",
            "pass\tword1",
        ] {
            let got = check_master_credentials(None, Some(bad));
            assert_eq!(got.len(), 1, "{bad:?}: {got:#?}");
            for text in [&got[0].summary, &got[0].detail] {
                assert!(!text.contains(bad), "the password never shows: {text}");
            }
        }
        let leaked = check_master_credentials(None, Some(secret));
        assert!(leaked.iter().all(|v| !v.detail.contains("hunter2")));
    }
}
