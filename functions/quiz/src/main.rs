//! The `quiz` function: reads its configuration, then serves its routes on `$PORT`.

use factory_shared::content::Kind;
use factory_shared::http::{Function, run_function};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    run_function(Function::Kind(Kind::Quiz)).await
}
