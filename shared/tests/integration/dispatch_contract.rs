//! The `Dispatcher` contract (`factory_testkit::dispatch`) on every adapter: the in-process
//! queue, and Pub/Sub on the emulator.

use factory_testkit::dispatch::{self, Adapter, Inline, PubSub};

use crate::support::emulator;

fn pubsub() -> PubSub {
    PubSub {
        host: emulator("PUBSUB_EMULATOR_HOST"),
        project: "dispatch-contract".into(),
    }
}

macro_rules! dispatch_contract {
    ($adapter:ident, $make:expr) => {
        mod $adapter {
            use super::*;

            fn adapter() -> Box<dyn Adapter> {
                Box::new($make)
            }

            #[tokio::test]
            async fn every_step_is_delivered_in_any_order() {
                dispatch::every_step_is_delivered_in_any_order(adapter().as_ref()).await;
            }

            #[tokio::test]
            async fn a_failed_handling_is_delivered_again() {
                dispatch::a_failed_handling_is_delivered_again(adapter().as_ref()).await;
            }

            #[tokio::test]
            async fn the_step_arrives_intact() {
                dispatch::the_step_arrives_intact(adapter().as_ref()).await;
            }
        }
    };
}

dispatch_contract!(inline, Inline);
dispatch_contract!(pubsub_emulator, pubsub());
