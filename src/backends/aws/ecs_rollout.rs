//! Waiting for a Fargate service's deployment to reach a steady state: the service runs
//! the revision the apply gave it, with every task it asked for, and no older deployment
//! is left. Bounded and cancellable ([`wait::until`]); the verdict on one answer of
//! DescribeServices is a pure function, unit-tested here (moto never finishes a rollout).

use super::api_error::api_error;
use crate::backends::BackendError;
use crate::backends::wait::{self, Poll, WaitPolicy};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::Service;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One deployment of a service, as DescribeServices reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// `PRIMARY` (the newest), `ACTIVE` (older, still running tasks) or `INACTIVE`.
    pub status: String,
    /// The revision it rolls out.
    pub task_definition: String,
    /// `COMPLETED`, `IN_PROGRESS` or `FAILED`; absent when ECS does not report it.
    pub rollout_state: Option<String>,
    /// Why it is in that state, e.g. the circuit breaker's reason.
    pub rollout_state_reason: Option<String>,
    /// Tasks it asks for.
    pub desired_count: i32,
    /// Tasks of it running now.
    pub running_count: i32,
    /// Tasks of it that failed to start or stay healthy.
    pub failed_tasks: i32,
}

/// What a wait needs from one DescribeServices answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollout {
    /// The service's deployments, newest (PRIMARY) first as ECS lists them.
    pub deployments: Vec<Deployment>,
    /// The newest service event message, for the timeout's explanation.
    pub last_event: Option<String>,
}

/// The verdict on one answer: ready when the PRIMARY deployment runs `revision` with all
/// its tasks, completed (or ECS reports no rollout state), and no other deployment is
/// left; failed when the PRIMARY deployment failed, or when ECS rolled back to another
/// revision; pending otherwise, with what it is waiting for.
pub fn verdict(rollout: &Rollout, revision: &str) -> Poll<()> {
    let Some(primary) = rollout.deployments.iter().find(|d| d.status == "PRIMARY") else {
        return Poll::Pending("no deployment reported yet".into());
    };
    let failed_reason = |d: &Deployment| {
        d.rollout_state_reason
            .clone()
            .unwrap_or_else(|| "no reason given".into())
    };
    if primary.rollout_state.as_deref() == Some("FAILED") {
        return Poll::Failed(format!(
            "FAILED, {} task(s) failed: {}",
            primary.failed_tasks,
            failed_reason(primary)
        ));
    }
    if primary.task_definition != revision {
        // The circuit breaker's rollback deploys the last revision that worked as the new
        // PRIMARY; the failed deployment, if still listed, says why.
        let why = rollout
            .deployments
            .iter()
            .find(|d| d.task_definition == revision)
            .map(failed_reason)
            .unwrap_or_else(|| "the deployment of the new revision stopped".into());
        return Poll::Failed(format!(
            "rolled back to `{}`, not running `{revision}`: {why}",
            primary.task_definition
        ));
    }
    let others = rollout.deployments.len() - 1;
    let completed = matches!(primary.rollout_state.as_deref(), None | Some("COMPLETED"));
    if completed && others == 0 && primary.running_count == primary.desired_count {
        return Poll::Ready(());
    }
    let mut status = format!(
        "{} of {} task(s) running, rollout {}",
        primary.running_count,
        primary.desired_count,
        primary.rollout_state.as_deref().unwrap_or("not reported")
    );
    if others > 0 {
        status.push_str(&format!(", {others} older deployment(s) still running"));
    }
    if primary.failed_tasks > 0 {
        status.push_str(&format!(", {} task(s) failed", primary.failed_tasks));
    }
    if let Some(event) = &rollout.last_event {
        status.push_str(&format!("; last event: {event}"));
    }
    Poll::Pending(status)
}

fn rollout_of(s: &Service) -> Rollout {
    Rollout {
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                status: d.status().unwrap_or_default().to_string(),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_string()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                failed_tasks: d.failed_tasks(),
            })
            .collect(),
        last_event: s
            .events()
            .first()
            .and_then(|e| e.message())
            .map(str::to_string),
    }
}

/// Polls the service until it runs `revision` steadily, for at most `timeout`; Ctrl-C
/// (StopProvider) ends the wait at once.
pub async fn wait_steady(
    client: &Client,
    cluster: &str,
    service: &str,
    revision: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), BackendError> {
    let policy = WaitPolicy {
        initial: Duration::from_secs(5),
        max_interval: Duration::from_secs(15),
        timeout,
    };
    let what = format!("the deployment of ECS service `{service}` in cluster `{cluster}`");
    wait::until(&what, policy, cancel, || async {
        let out = client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| api_error("ECS", "DescribeServices", e))?;
        Ok(match out.services().first() {
            Some(s) => verdict(&rollout_of(s), revision),
            None => Poll::Failed("the service is gone".into()),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "arn:aws:ecs:us-east-1:1:task-definition/dev-api:4";
    const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/dev-api:3";

    fn deployment(status: &str, revision: &str, state: &str, running: i32) -> Deployment {
        Deployment {
            status: status.into(),
            task_definition: revision.into(),
            rollout_state: Some(state.into()),
            rollout_state_reason: None,
            desired_count: 2,
            running_count: running,
            failed_tasks: 0,
        }
    }

    #[test]
    fn ready_only_when_the_new_revision_runs_alone_and_complete() {
        let done = Rollout {
            deployments: vec![deployment("PRIMARY", NEW, "COMPLETED", 2)],
            last_event: None,
        };
        assert_eq!(verdict(&done, NEW), Poll::Ready(()));

        let starting = Rollout {
            deployments: vec![
                deployment("PRIMARY", NEW, "IN_PROGRESS", 1),
                deployment("ACTIVE", OLD, "COMPLETED", 2),
            ],
            last_event: Some("(service dev-api) has started 1 tasks".into()),
        };
        let Poll::Pending(status) = verdict(&starting, NEW) else {
            panic!("pending expected");
        };
        assert_eq!(
            status,
            "1 of 2 task(s) running, rollout IN_PROGRESS, 1 older deployment(s) still running; last event: (service dev-api) has started 1 tasks"
        );

        // All tasks up, but the rollout not yet marked completed: still waiting.
        let settling = Rollout {
            deployments: vec![deployment("PRIMARY", NEW, "IN_PROGRESS", 2)],
            last_event: None,
        };
        assert!(matches!(verdict(&settling, NEW), Poll::Pending(_)));
        // An emulator that reports no rollout state is judged on counts alone.
        let unreported = Rollout {
            deployments: vec![Deployment {
                rollout_state: None,
                ..deployment("PRIMARY", NEW, "", 2)
            }],
            last_event: None,
        };
        assert_eq!(verdict(&unreported, NEW), Poll::Ready(()));
    }

    #[test]
    fn a_failed_or_rolled_back_deployment_fails_the_wait_with_its_reason() {
        let failed = Rollout {
            deployments: vec![Deployment {
                rollout_state_reason: Some(
                    "ECS deployment circuit breaker: tasks failed to start.".into(),
                ),
                failed_tasks: 3,
                ..deployment("PRIMARY", NEW, "FAILED", 0)
            }],
            last_event: None,
        };
        assert_eq!(
            verdict(&failed, NEW),
            Poll::Failed(
                "FAILED, 3 task(s) failed: ECS deployment circuit breaker: tasks failed to start."
                    .into()
            )
        );

        let rolled_back = Rollout {
            deployments: vec![
                deployment("PRIMARY", OLD, "IN_PROGRESS", 1),
                Deployment {
                    rollout_state_reason: Some("tasks failed to start".into()),
                    ..deployment("ACTIVE", NEW, "FAILED", 0)
                },
            ],
            last_event: None,
        };
        assert_eq!(
            verdict(&rolled_back, NEW),
            Poll::Failed(format!(
                "rolled back to `{OLD}`, not running `{NEW}`: tasks failed to start"
            ))
        );
    }

    #[test]
    fn no_deployment_yet_is_pending() {
        assert!(matches!(
            verdict(&Rollout::default(), NEW),
            Poll::Pending(_)
        ));
    }
}
