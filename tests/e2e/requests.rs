//! How many AWS requests an apply and a refresh cost: N Fargate services in one environment
//! through this provider, and the same services hand-wired with hashicorp/aws resources
//! (cluster, and per service an execution role with its inline policy, log group, task
//! definition and service, as ours make them; no autoscaling: moto lacks Application
//! Auto Scaling's ListTagsForResource, which that provider calls on every read of a
//! target), each counted per operation by the proxy in front of moto ([`crate::faults`]).
//!
//! A benchmark, not a check: it prints figures and fails only when Terraform does.
//! `scripts/bench-requests.sh` runs it (`--ignored --nocapture`); `E2E_REQUESTS_SERVICES`
//! sets N (default 20). hashicorp/aws comes from the filesystem mirror in
//! `/opt/tf-plugins` (`E2E_TF_PLUGINS` overrides); without it the comparison is skipped
//! with a note.

use crate::faults::FaultProxy;
use crate::harness::{Cloud, Network, REQUIRED_PROVIDERS, Terraform, Workdir, newest_terraform};
use std::collections::BTreeMap;
use std::path::PathBuf;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
/// The hashicorp/aws release the comparison uses.
const AWS_PROVIDER_VERSION: &str = "5.100.0";

/// Requests per operation.
type Counts = BTreeMap<String, u32>;

fn services() -> usize {
    std::env::var("E2E_REQUESTS_SERVICES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// The operations forwarded since `from`, counted.
fn counted(proxy: &FaultProxy, from: usize) -> Counts {
    let mut counts = Counts::new();
    for op in &proxy.forwarded()[from..] {
        *counts.entry(op.clone()).or_default() += 1;
    }
    counts
}

fn total(c: &Counts) -> u32 {
    c.values().sum()
}

/// `n` services in one staging environment (Fargate as the launch type).
fn ours(env: &str, n: usize, network: &Network) -> String {
    let mut s = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "staging"
  region = "us-east-1"
{network}
}}
"#,
        network = network.block()
    );
    for i in 0..n {
        s.push_str(&format!(
            r#"
resource "platform_api_service" "s{i}" {{
  environment = platform_environment.env.context
  name        = "svc{i}"
  host        = "aws_fargate"
  image       = "nginx:1.27"
  port        = 8080
  env         = {{ NODE_ENV = "production" }}
  health_check {{
    path = "/healthz"
  }}
}}
"#
        ));
    }
    s
}

/// The same services hand-wired: one cluster, and per service an execution role with a
/// least-privilege inline policy, a log group, a task definition and a service, each
/// tagged as ours are.
fn hand_wired(env: &str, n: usize, network: &Network, endpoint: &str) -> String {
    let mut s = format!(
        r#"
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "{AWS_PROVIDER_VERSION}" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    ecs                    = "{endpoint}"
    cloudwatchlogs         = "{endpoint}"
    sts                    = "{endpoint}"
    iam                    = "{endpoint}"
    applicationautoscaling = "{endpoint}"
  }}
}}

resource "aws_ecs_cluster" "env" {{
  name = "{env}-cluster"
  setting {{
    name  = "containerInsights"
    value = "enabled"
  }}
  tags = {{ "platform:environment" = "{env}" }}
}}
"#
    );
    let subnet = &network.subnets[0];
    let group = &network.security_groups[0];
    for i in 0..n {
        s.push_str(&format!(
            r#"
resource "aws_cloudwatch_log_group" "s{i}" {{
  name              = "/platform/{env}/svc{i}"
  retention_in_days = 14
  tags              = {{ "platform:environment" = "{env}" }}
}}

# The execution role a least-privilege hand-written stack gives each service, as ours does.
resource "aws_iam_role" "s{i}" {{
  name = "{env}-svc{i}-execution"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "ecs-tasks.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
  tags = {{ "platform:environment" = "{env}" }}
}}

resource "aws_iam_role_policy" "s{i}" {{
  name = "platform"
  role = aws_iam_role.s{i}.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${{aws_cloudwatch_log_group.s{i}.arn}}:*" }}]
  }})
}}

resource "aws_ecs_task_definition" "s{i}" {{
  family                   = "{env}-svc{i}"
  execution_role_arn       = aws_iam_role.s{i}.arn
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  runtime_platform {{
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }}
  container_definitions = jsonencode([{{
    name         = "svc{i}"
    image        = "nginx:1.27"
    essential    = true
    portMappings = [{{ containerPort = 8080, protocol = "tcp" }}]
    environment  = [{{ name = "NODE_ENV", value = "production" }}]
    healthCheck = {{
      command  = ["CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"]
      interval = 30
    }}
    logConfiguration = {{
      logDriver = "awslogs"
      options = {{
        "awslogs-group"         = aws_cloudwatch_log_group.s{i}.name
        "awslogs-region"        = "us-east-1"
        "awslogs-stream-prefix" = "svc{i}"
      }}
    }}
  }}])
  tags = {{ "platform:environment" = "{env}" }}
}}

resource "aws_ecs_service" "s{i}" {{
  name            = "{env}-svc{i}"
  cluster         = aws_ecs_cluster.env.arn
  task_definition = aws_ecs_task_definition.s{i}.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"
  network_configuration {{
    subnets          = ["{subnet}"]
    security_groups  = ["{group}"]
    assign_public_ip = false
  }}
  tags = {{ "platform:environment" = "{env}" }}
}}
"#
        ));
    }
    s
}

/// The filesystem mirror holding hashicorp/aws, when this machine has one.
fn aws_mirror() -> Option<PathBuf> {
    let root = PathBuf::from(
        std::env::var("E2E_TF_PLUGINS").unwrap_or_else(|_| "/opt/tf-plugins".to_string()),
    );
    root.join("registry.terraform.io/hashicorp/aws")
        .join(AWS_PROVIDER_VERSION)
        .is_dir()
        .then_some(root)
}

/// Apply, then a refresh (`terraform plan`, which refreshes every resource), counted.
fn apply_and_refresh(tf: &Terraform, wd: &Workdir, proxy: &FaultProxy) -> (Counts, Counts) {
    let from = proxy.forwarded().len();
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let apply = counted(proxy, from);
    let from = proxy.forwarded().len();
    wd.run(tf, &["plan", "-no-color"]).expect_success();
    (apply, counted(proxy, from))
}

fn table(n: usize, columns: &[(&str, &Counts)]) {
    let mut ops: Vec<&String> = columns.iter().flat_map(|(_, c)| c.keys()).collect();
    ops.sort();
    ops.dedup();
    let mut header = format!("{:<32}", "operation");
    for (name, _) in columns {
        header.push_str(&format!("{name:>16}"));
    }
    eprintln!("{header}");
    for op in ops {
        let mut line = format!("{op:<32}");
        for (_, c) in columns {
            line.push_str(&format!("{:>16}", c.get(op).copied().unwrap_or(0)));
        }
        eprintln!("{line}");
    }
    let mut line = format!("{:<32}", "total");
    for (_, c) in columns {
        line.push_str(&format!("{:>16}", total(c)));
    }
    eprintln!("{line}");
    let mut line = format!("{:<32}", "per service");
    for (_, c) in columns {
        line.push_str(&format!("{:>16.2}", total(c) as f64 / n as f64));
    }
    eprintln!("{line}");
}

#[test]
#[ignore = "a benchmark: scripts/bench-requests.sh"]
fn aws_requests_of_fargate_services_ours_and_hand_wired() {
    let n = services();
    let tf = newest_terraform();
    let cloud = Cloud::with_network();
    let proxy = FaultProxy::start(&cloud.moto.endpoint(), vec![]);

    let mut wd = Workdir::new(BIN, &ours("req", n, &cloud.network));
    wd.set_env("AWS_ENDPOINT_URL", &proxy.endpoint());
    let (apply, refresh) = apply_and_refresh(&tf, &wd, &proxy);

    let theirs = match aws_mirror() {
        None => {
            eprintln!(
                "requests: no hashicorp/aws {AWS_PROVIDER_VERSION} filesystem mirror in /opt/tf-plugins (E2E_TF_PLUGINS): comparison skipped"
            );
            None
        }
        Some(mirror) => {
            let cli = format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
                mirror.display()
            );
            let main = hand_wired("hw", n, &cloud.network, &proxy.endpoint());
            let mut hw = Workdir::with_cli_config(&cli, &main);
            hw.set_env("AWS_ENDPOINT_URL", &proxy.endpoint());
            hw.run(&tf, &["init", "-no-color", "-input=false"])
                .expect_success();
            Some(apply_and_refresh(&tf, &hw, &proxy))
        }
    };

    eprintln!(
        "\nAWS requests, {n} Fargate services in one environment, Terraform {} (per service = total / {n}, the environment's or cluster's share included):\n",
        tf.version
    );
    match &theirs {
        Some((hw_apply, hw_refresh)) => table(
            n,
            &[
                ("ours apply", &apply),
                ("ours refresh", &refresh),
                ("aws apply", hw_apply),
                ("aws refresh", hw_refresh),
            ],
        ),
        None => table(n, &[("ours apply", &apply), ("ours refresh", &refresh)]),
    }
    eprintln!(
        "\nrequests: ours apply {} ({:.2}/service), refresh {} ({:.2}/service){}",
        total(&apply),
        total(&apply) as f64 / n as f64,
        total(&refresh),
        total(&refresh) as f64 / n as f64,
        theirs
            .as_ref()
            .map(|(a, r)| format!(
                "; hashicorp/aws {AWS_PROVIDER_VERSION} apply {} ({:.2}/service), refresh {} ({:.2}/service)",
                total(a),
                total(a) as f64 / n as f64,
                total(r),
                total(r) as f64 / n as f64
            ))
            .unwrap_or_default()
    );
}
