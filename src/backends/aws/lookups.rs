//! The look-ups that Terraform's parallel reads and applies make at the same time, batched
//! per region (see [`super::batch`]): ECS services by cluster (DescribeServices, 10 a call),
//! log groups by directory (DescribeLogGroups by prefix), scalable targets and scaling
//! policies (50 a call), DB instances (a `db-instance-id` filter, 50 a call) and which task
//! definition families exist (ListTaskDefinitionFamilies by the environment's prefix). Each
//! answers exactly as the backend's single `find` would. It also keeps the revision an apply
//! registered, for the read right after that apply (RegisterTaskDefinition answered with all
//! of it; DescribeTaskDefinition takes one family a call, so it is the costly look-up).

use super::AwsClients;
use super::autoscaling::{self, ObservedPolicy, ObservedTarget};
use super::batch::{Batcher, WINDOW};
use super::ecs_service::{self, ObservedService};
use super::iam::ObservedRole;
use super::log_group::{self, ListedLogGroup};
use super::rds::{self, ObservedInstance};
use super::task_definition::{self, ObservedTaskDefinition};
use crate::backends::BackendError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a revision an apply noted answers the read that follows it.
const NOTED_FOR: Duration = Duration::from_secs(60);

/// Batched look-ups in one region, with one provider configuration's clients.
pub struct Lookups {
    ecs: aws_sdk_ecs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    /// One batcher per cluster: DescribeServices names one cluster.
    services: Mutex<HashMap<String, Arc<Batcher<String, ObservedService>>>>,
    /// One batcher per directory: DescribeLogGroups takes one prefix.
    log_groups: Mutex<HashMap<String, Arc<Batcher<String, ListedLogGroup>>>>,
    /// One batcher per family prefix: ListTaskDefinitionFamilies takes one prefix.
    families: Mutex<HashMap<String, Arc<Batcher<String, ()>>>>,
    /// Revisions an apply just registered or adopted, by family, with when: the read
    /// that follows the apply takes its revision from here once instead of describing it.
    noted: Mutex<HashMap<String, (Instant, ObservedTaskDefinition)>>,
    /// IAM role name → the inline policy an apply just put or found, for the read after it.
    noted_policies: Mutex<HashMap<String, (Instant, String)>>,
    targets: Batcher<String, ObservedTarget>,
    policies: Batcher<(String, String), ObservedPolicy>,
    db_instances: Batcher<String, ObservedInstance>,
}

/// The regions' look-ups of one provider configuration.
pub(super) type ByRegion = Mutex<HashMap<String, Arc<Lookups>>>;

impl AwsClients {
    /// The batched look-ups of a region, made once per region.
    pub async fn lookups(&self, region: &str) -> Arc<Lookups> {
        if let Some(l) = self.lookups_cache().get(region) {
            return l.clone();
        }
        let made = Arc::new(Lookups::new(
            self.ecs(region).await,
            self.cloudwatch_logs(region).await,
            self.application_autoscaling(region).await,
            self.rds(region).await,
        ));
        self.lookups_cache()
            .entry(region.to_string())
            .or_insert(made)
            .clone()
    }

    fn lookups_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Lookups>>> {
        self.inner.lookups.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Lookups {
    fn new(
        ecs: aws_sdk_ecs::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        scaling: aws_sdk_applicationautoscaling::Client,
        rds_client: aws_sdk_rds::Client,
    ) -> Self {
        let targets = {
            let c = scaling.clone();
            Batcher::new(
                autoscaling::DESCRIBE_LIMIT,
                WINDOW,
                move |ids: Vec<String>| {
                    let c = c.clone();
                    async move { autoscaling::find_targets(&c, &ids).await }
                },
            )
        };
        let policies = Batcher::new(
            autoscaling::DESCRIBE_LIMIT,
            WINDOW,
            move |keys: Vec<(String, String)>| {
                let c = scaling.clone();
                async move { autoscaling::find_policies(&c, &keys).await }
            },
        );
        let db_instances = Batcher::new(rds::DESCRIBE_LIMIT, WINDOW, move |ids: Vec<String>| {
            let c = rds_client.clone();
            async move { rds::find_many(&c, &ids).await }
        });
        Lookups {
            ecs,
            logs,
            services: Mutex::default(),
            log_groups: Mutex::default(),
            families: Mutex::default(),
            noted: Mutex::default(),
            noted_policies: Mutex::default(),
            targets,
            policies,
            db_instances,
        }
    }

    /// [`ecs_service::find`], batched with the other look-ups of the cluster's services.
    pub async fn service(
        &self,
        cluster: &str,
        name: &str,
    ) -> Result<Option<ObservedService>, BackendError> {
        let batcher = {
            let mut all = self.services.lock().unwrap_or_else(|e| e.into_inner());
            all.entry(cluster.to_string())
                .or_insert_with(|| {
                    let (c, cluster) = (self.ecs.clone(), cluster.to_string());
                    Arc::new(Batcher::new(
                        ecs_service::DESCRIBE_LIMIT,
                        WINDOW,
                        move |names: Vec<String>| {
                            let (c, cluster) = (c.clone(), cluster.clone());
                            async move { ecs_service::find_many(&c, &cluster, &names).await }
                        },
                    ))
                })
                .clone()
        };
        batcher.get(name.to_string()).await
    }

    /// A log group by exact name, without its tags ([`log_group::tagged`] reads them),
    /// batched with the other look-ups of its directory.
    pub async fn log_group(&self, name: &str) -> Result<Option<ListedLogGroup>, BackendError> {
        let prefix = log_group::directory(name).to_string();
        let batcher = {
            let mut all = self.log_groups.lock().unwrap_or_else(|e| e.into_inner());
            all.entry(prefix.clone())
                .or_insert_with(|| {
                    let c = self.logs.clone();
                    // One prefix a call, paged: no limit on the names it answers.
                    Arc::new(Batcher::new(
                        usize::MAX,
                        WINDOW,
                        move |names: Vec<String>| {
                            let (c, prefix) = (c.clone(), prefix.clone());
                            async move { log_group::find_many(&c, &prefix, &names).await }
                        },
                    ))
                })
                .clone()
        };
        batcher.get(name.to_string()).await
    }

    /// [`task_definition::find`], for an apply: whether the family has an active revision
    /// is asked together with the other families under `prefix` (one
    /// ListTaskDefinitionFamilies), and only a family listed is described.
    pub async fn task_definition(
        &self,
        prefix: &str,
        family: &str,
    ) -> Result<Option<ObservedTaskDefinition>, BackendError> {
        let prefix = if family.starts_with(prefix) {
            prefix
        } else {
            family
        };
        let batcher = {
            let mut all = self.families.lock().unwrap_or_else(|e| e.into_inner());
            all.entry(prefix.to_string())
                .or_insert_with(|| {
                    let (c, prefix) = (self.ecs.clone(), prefix.to_string());
                    Arc::new(Batcher::new(usize::MAX, WINDOW, move |families: Vec<String>| {
                        let (c, prefix) = (c.clone(), prefix.clone());
                        async move { task_definition::listed_families(&c, &prefix, &families).await }
                    }))
                })
                .clone()
        };
        match batcher.get(family.to_string()).await? {
            Some(()) => task_definition::find(&self.ecs, family).await,
            None => Ok(None),
        }
    }

    /// Notes the revision an apply registered or adopted (tags as they are now), for the
    /// read that follows it.
    pub fn note_task_definition(&self, revision: &ObservedTaskDefinition) {
        self.noted.lock().unwrap_or_else(|e| e.into_inner()).insert(
            revision.definition.family.clone(),
            (Instant::now(), revision.clone()),
        );
    }

    /// Notes the inline policy an apply put on (or found on) a role, for the read that
    /// follows it.
    pub fn note_role_policy(&self, role: &ObservedRole) {
        if let Some(policy) = &role.policy {
            self.noted_policies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(role.name.clone(), (Instant::now(), policy.clone()));
        }
    }

    /// The role's inline policy an apply noted in the last minute (taken, so only the read
    /// right after that apply uses it); `None` when the read must ask IAM.
    pub fn noted_role_policy(&self, role_name: &str) -> Option<String> {
        let noted = self
            .noted_policies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(role_name);
        noted
            .filter(|(at, _)| at.elapsed() < NOTED_FOR)
            .map(|(_, policy)| policy)
    }

    /// The family's current revision: the one an apply noted in the last minute (taken,
    /// so only the read right after that apply uses it), else [`task_definition::find`].
    pub async fn current_task_definition(
        &self,
        family: &str,
    ) -> Result<Option<ObservedTaskDefinition>, BackendError> {
        let noted = self
            .noted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(family);
        match noted {
            Some((at, revision)) if at.elapsed() < NOTED_FOR => Ok(Some(revision)),
            _ => task_definition::find(&self.ecs, family).await,
        }
    }

    /// [`autoscaling::find_target`], batched.
    pub async fn target(&self, resource_id: &str) -> Result<Option<ObservedTarget>, BackendError> {
        self.targets.get(resource_id.to_string()).await
    }

    /// [`autoscaling::find_policy`], batched.
    pub async fn policy(
        &self,
        resource_id: &str,
        name: &str,
    ) -> Result<Option<ObservedPolicy>, BackendError> {
        self.policies
            .get((resource_id.to_string(), name.to_string()))
            .await
    }

    /// [`rds::find`], batched.
    pub async fn db_instance(
        &self,
        identifier: &str,
    ) -> Result<Option<ObservedInstance>, BackendError> {
        self.db_instances.get(identifier.to_string()).await
    }
}
