// `sqlx::migrate!` embeds crates/hub/migrations at compile time; without this a migration added
// to an existing checkout would not be picked up until some other source file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
