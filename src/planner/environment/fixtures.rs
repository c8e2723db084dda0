//! Shared test fixtures: a valid production environment, and ways to change it.

use std::collections::BTreeMap;

use super::*;

pub(super) fn valid() -> EnvironmentInput {
    EnvironmentInput {
        name: "prod".to_string(),
        tier: "production".to_string(),
        region: "eu-west-1".to_string(),
        network: Some(NetworkInput {
            subnet_ids: vec![
                "subnet-0a1b2c3d4e5f67890".to_string(),
                "subnet-12345678".to_string(),
            ],
            security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
            assign_public_ip: None,
            public_subnet_ids: Vec::new(),
        }),
        policy: PolicyInput::default(),
        tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        default_tags: BTreeMap::new(),
        ingress: None,
    }
}

pub(super) fn with(change: impl FnOnce(&mut EnvironmentInput)) -> EnvironmentInput {
    let mut input = valid();
    change(&mut input);
    input
}

pub(super) fn network(input: &mut EnvironmentInput) -> &mut NetworkInput {
    input
        .network
        .as_mut()
        .expect("the valid input has a network")
}
