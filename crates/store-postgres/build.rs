//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files it finds at compile
//! time, and cargo would otherwise notice only changes to the files it already embedded.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
