//! Cloudflare Access (Zero Trust) in front of a site: one self-hosted application per
//! site and the allow policies scoped to it (`/accounts/{account}/access/apps` and
//! `/access/apps/{app}/policies`).
//!
//! App-scoped policies, not the reusable account policies (`/access/policies`) Cloudflare
//! now recommends: each site owns its application and policies, created and deleted with
//! it, so nothing is shared between sites and nothing outlives them. Hosts go out as
//! `destinations` (`{type: "public", uri}`), which supersede `self_hosted_domains`.

use super::Cloudflare;
use crate::backends::BackendError;
use crate::backends::http::{Request, segment};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// An Access application as the provider reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessApp {
    /// Application ID (UUID).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The primary host it protects.
    pub domain: String,
    /// Every host it protects.
    pub self_hosted_domains: Vec<String>,
    /// How long a login lasts (`24h`).
    pub session_duration: String,
}

/// What an Access application should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessAppSpec {
    /// Display name (the provider finds its application by it).
    pub name: String,
    /// The primary host.
    pub domain: String,
    /// Every host to protect; empty means just `domain`.
    pub self_hosted_domains: Vec<String>,
    /// How long a login lasts, as a duration such as `24h`.
    pub session_duration: String,
}

/// An allow policy of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPolicy {
    /// Policy ID (UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// Email addresses it lets in (`include: [{email: {email}}]`).
    pub emails: Vec<String>,
    /// Email domains it lets in (`include: [{email_domain: {domain}}]`).
    pub email_domains: Vec<String>,
}

#[derive(Deserialize)]
struct AppJson {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    self_hosted_domains: Vec<String>,
    #[serde(default)]
    destinations: Vec<Value>,
    #[serde(default)]
    session_duration: String,
}

impl From<AppJson> for AccessApp {
    fn from(a: AppJson) -> Self {
        let public: Vec<String> = a
            .destinations
            .iter()
            .filter(|d| d.get("type").and_then(Value::as_str).unwrap_or("public") == "public")
            .filter_map(|d| d.get("uri").and_then(Value::as_str).map(str::to_string))
            .collect();
        AccessApp {
            id: a.id,
            name: a.name,
            domain: a.domain,
            self_hosted_domains: if public.is_empty() {
                a.self_hosted_domains
            } else {
                public
            },
            session_duration: a.session_duration,
        }
    }
}

#[derive(Deserialize)]
struct PolicyJson {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    include: Vec<Value>,
}

impl From<PolicyJson> for AccessPolicy {
    fn from(p: PolicyJson) -> Self {
        let pick = |kind: &str, field: &str| -> Vec<String> {
            p.include
                .iter()
                .filter_map(|rule| rule.get(kind)?.get(field)?.as_str().map(str::to_string))
                .collect()
        };
        AccessPolicy {
            emails: pick("email", "email"),
            email_domains: pick("email_domain", "domain"),
            id: p.id,
            name: p.name,
        }
    }
}

fn app_body(spec: &AccessAppSpec) -> Value {
    let hosts = if spec.self_hosted_domains.is_empty() {
        vec![spec.domain.clone()]
    } else {
        spec.self_hosted_domains.clone()
    };
    json!({
        "name": spec.name,
        "domain": spec.domain,
        "type": "self_hosted",
        "destinations": hosts.iter().map(|h| json!({ "type": "public", "uri": h })).collect::<Vec<_>>(),
        "session_duration": spec.session_duration,
    })
}

fn policy_body(name: &str, emails: &[String], email_domains: &[String]) -> Value {
    let include: Vec<Value> = emails
        .iter()
        .map(|e| json!({ "email": { "email": e } }))
        .chain(
            email_domains
                .iter()
                .map(|d| json!({ "email_domain": { "domain": d } })),
        )
        .collect();
    json!({ "name": name, "decision": "allow", "include": include })
}

impl Cloudflare {
    fn apps_path(&self) -> String {
        format!("/accounts/{}/access/apps", segment(&self.account_id))
    }

    fn app_path(&self, id: &str) -> String {
        format!("{}/{}", self.apps_path(), segment(id))
    }

    fn policies_path(&self, app_id: &str) -> String {
        format!("{}/policies", self.app_path(app_id))
    }

    /// The application named `name`, from the account's list (the API has no look-up
    /// by name); `None` when there is none.
    pub async fn find_access_app(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<AccessApp>, BackendError> {
        let req = Request::get("ListAccessApps", self.apps_path()).query("per_page", "1000");
        let apps: Vec<AppJson> = self.fetch(cancel, &req).await?;
        Ok(apps.into_iter().find(|a| a.name == name).map(Into::into))
    }

    /// Creates a self-hosted application.
    pub async fn create_access_app(
        &self,
        cancel: &CancellationToken,
        spec: &AccessAppSpec,
    ) -> Result<AccessApp, BackendError> {
        let req = Request::post("CreateAccessApp", self.apps_path()).json(&app_body(spec));
        Ok(self.fetch::<AppJson>(cancel, &req).await?.into())
    }

    /// Replaces the application's settings; its ID and policies stay.
    pub async fn update_access_app(
        &self,
        cancel: &CancellationToken,
        id: &str,
        spec: &AccessAppSpec,
    ) -> Result<AccessApp, BackendError> {
        let req = Request::put("UpdateAccessApp", self.app_path(id)).json(&app_body(spec));
        Ok(self.fetch::<AppJson>(cancel, &req).await?.into())
    }

    /// Deletes the application with its policies; one already gone counts as deleted.
    pub async fn delete_access_app(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete("DeleteAccessApp", self.app_path(id));
        self.remove(cancel, &req).await
    }

    /// The application's policies.
    pub async fn list_access_policies(
        &self,
        cancel: &CancellationToken,
        app_id: &str,
    ) -> Result<Vec<AccessPolicy>, BackendError> {
        let req = Request::get("ListAccessPolicies", self.policies_path(app_id));
        let list: Vec<PolicyJson> = self.fetch(cancel, &req).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Adds an allow policy letting in `emails` and anyone at `email_domains`.
    pub async fn create_access_policy(
        &self,
        cancel: &CancellationToken,
        app_id: &str,
        name: &str,
        emails: &[String],
        email_domains: &[String],
    ) -> Result<AccessPolicy, BackendError> {
        let req = Request::post("CreateAccessPolicy", self.policies_path(app_id))
            .json(&policy_body(name, emails, email_domains));
        Ok(self.fetch::<PolicyJson>(cancel, &req).await?.into())
    }

    /// Replaces the policy's name and who it lets in.
    pub async fn update_access_policy(
        &self,
        cancel: &CancellationToken,
        app_id: &str,
        policy_id: &str,
        name: &str,
        emails: &[String],
        email_domains: &[String],
    ) -> Result<AccessPolicy, BackendError> {
        let req = Request::put(
            "UpdateAccessPolicy",
            format!("{}/{}", self.policies_path(app_id), segment(policy_id)),
        )
        .json(&policy_body(name, emails, email_domains));
        Ok(self.fetch::<PolicyJson>(cancel, &req).await?.into())
    }

    /// Deletes the policy; one already gone counts as deleted.
    pub async fn delete_access_policy(
        &self,
        cancel: &CancellationToken,
        app_id: &str,
        policy_id: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete(
            "DeleteAccessPolicy",
            format!("{}/{}", self.policies_path(app_id), segment(policy_id)),
        );
        self.remove(cancel, &req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_back_the_emails_and_domains_they_send() {
        let emails = vec!["a@example.com".to_string()];
        let domains = vec!["example.org".to_string()];
        let body = policy_body("team", &emails, &domains);
        assert_eq!(body["decision"], "allow");
        let read: AccessPolicy = PolicyJson {
            id: "p1".into(),
            name: "team".into(),
            include: body["include"].as_array().cloned().unwrap_or_default(),
        }
        .into();
        assert_eq!(read.emails, emails);
        assert_eq!(read.email_domains, domains);
    }

    #[test]
    fn an_app_without_extra_hosts_protects_its_domain() {
        let spec = AccessAppSpec {
            name: "site".into(),
            domain: "www.example.com".into(),
            self_hosted_domains: Vec::new(),
            session_duration: "24h".into(),
        };
        let body = app_body(&spec);
        assert_eq!(
            body["destinations"],
            json!([{"type": "public", "uri": "www.example.com"}])
        );
        assert_eq!(body["type"], "self_hosted");
    }
}
