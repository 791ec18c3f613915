//! Seeding: tickets written straight through the store (as a long-running help desk accumulates them),
//! and the same deterministic text replayed without writing it for runs on a database seeded earlier.
use super::*;

impl Bench {
    /// Writes `--tickets` tickets straight through the store, in transactions of `--batch`, and returns how
    /// many seeded tickets contain each vocabulary word (document frequency, by rank).
    pub(super) async fn seed(&mut self, fixture: Fixture, vocab: &Vocabulary) -> anyhow::Result<Vec<u32>> {
        let spread = Spread {
            departments: vec![fixture.department],
            assignees: vec![None],
        };
        self.seed_spread(self.args.tickets, spread, vocab).await
    }

    /// [`Self::seed`] of `total` tickets over `spread`'s departments and assignees.
    pub(super) async fn seed_spread(
        &mut self,
        total: u64,
        spread: Spread,
        vocab: &Vocabulary,
    ) -> anyhow::Result<Vec<u32>> {
        if total == 0 {
            return Ok(vec![0u32; vocab.len()]);
        }
        let settings = Settings {
            database_url: self.url.as_str().into(),
            ..Settings::default()
        };
        let store = ferrodesk::open_store(&settings).await?;
        let started = Instant::now();
        let at = store::time::now();

        // Requesters: a few hundred customers with two people each.
        let mut people = Vec::with_capacity(CUSTOMERS * 2);
        let mut tx = store.write().await?;
        let mut rng = Rng::new(0xc0ff_ee00);
        for i in 0..CUSTOMERS {
            let customer = tx
                .insert_customer(
                    &Customer {
                        id: 0,
                        name: format!("{} {}", capitalized(vocab.word(vocab.sample(&mut rng))), "Ltd"),
                        email: Some(format!("accounts{i}@customer{i}.example")),
                        phone: None,
                        city: None,
                        country: None,
                        external_id: None,
                        tags: vec![],
                        attributes: Default::default(),
                        created_at: at,
                        updated_at: at,
                        deleted_at: None,
                    },
                    &[],
                )
                .await?;
            for j in 0..2 {
                let user = tx
                    .insert_end_user(
                        &EndUser {
                            id: 0,
                            customer_id: customer.id,
                            name: format!("Person {j} of customer {i}"),
                            email: Some(format!("person{j}@customer{i}.example")),
                            phone: None,
                            tags: vec![],
                            first_name: None,
                            last_name: None,
                            city: None,
                            country: None,
                            attributes: Default::default(),
                            has_password: false,
                            created_at: at,
                            updated_at: at,
                            deleted_at: None,
                        },
                        None,
                        &[],
                    )
                    .await?;
                people.push((user.id, user.name, customer.id));
            }
        }
        tx.commit().await?;

        let writers = self
            .args
            .seed_writers
            .unwrap_or(if self.backend == "sqlite" { 1 } else { 2 })
            .max(1);
        println!(
            "seeding {total} tickets with {} messages each through the store ({writers} writer{}, {} per transaction) ...",
            REPLIES + 1,
            if writers == 1 { "" } else { "s" },
            self.args.batch
        );
        // One task generates the (deterministic) text; `writers` tasks write batches of it, each in one
        // transaction.
        let people = Arc::new(people);
        let spread = Arc::new(spread);
        let now_us = store::time::to_micros(at);
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (send, receive) = tokio::sync::mpsc::channel::<Vec<(u64, SeedTicket)>>(writers * 2);
        let receive = Arc::new(tokio::sync::Mutex::new(receive));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..writers {
            let (store, people, done, receive) = (store.clone(), people.clone(), done.clone(), receive.clone());
            let spread = spread.clone();
            tasks.spawn(async move {
                loop {
                    let Some(batch) = receive.lock().await.recv().await else {
                        return anyhow::Ok(());
                    };
                    let mut tx = store.write().await?;
                    for (n, t) in &batch {
                        let (user_id, user_name, customer_id) = &people[t.person % people.len()];
                        // Ten tickets a minute, the newest now.
                        let ctime = store::time::from_micros(now_us - (total - n) as i64 * 6_000_000);
                        let ticket = tx
                            .insert_ticket(&Ticket {
                                id: 0,
                                did: spread.department(*n),
                                user_id: *user_id,
                                customer_id: *customer_id,
                                status: t.status,
                                locked: t.locked,
                                priority: t.priority,
                                title: t.title.clone(),
                                ctime,
                                lastreply: ctime,
                                read_by_customer: true,
                                read_by_staff: t.read_by_staff,
                                service: None,
                                assigned: spread.assignee(*n),
                                assigned_by: None,
                                custom_fields: serde_json::Map::new(),
                                redeemed: vec![],
                                account_key: None,
                                callid: None,
                                updated_at: ctime,
                                replies: None,
                            })
                            .await?;
                        for (k, message) in t.messages.iter().enumerate() {
                            let staff = k % 2 == 1;
                            tx.insert_reply(&Reply {
                                id: 0,
                                owner_id: ticket.id,
                                user_id: if staff { 0 } else { *user_id },
                                admin: staff,
                                name: if staff { "Support".to_owned() } else { user_name.clone() },
                                encrypted: false,
                                message: message.clone(),
                                ctime,
                                ip: None,
                                internal: false,
                                attachments: Vec::new(),
                            })
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    let before = done.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    let after = before + batch.len() as u64;
                    if after / 100_000 > before / 100_000 || after == total {
                        let secs = started.elapsed().as_secs_f64();
                        println!(
                            "  {after:>9} tickets in {secs:>6.1} s ({:.0} tickets/s)",
                            after as f64 / secs.max(1e-9)
                        );
                    }
                }
            });
        }
        let mut text = SeedText::new(vocab);
        let mut n = 0u64;
        while n < total {
            let size = self.args.batch.min(total - n);
            let mut batch = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let mut t = SeedTicket::default();
                text.next(n, &mut t);
                batch.push((n, t));
                n += 1;
            }
            if send.send(batch).await.is_err() {
                break; // a writer failed; its error is reported below
            }
        }
        drop(send);
        while let Some(joined) = tasks.join_next().await {
            joined.context("a seeding task panicked")??;
        }
        store.close().await;
        let secs = started.elapsed().as_secs_f64();
        self.report.seed = Some((total, secs));
        Ok(text.document_frequency)
    }

    /// Seeding leaves gigabytes of dirty pages behind: flush them, so that the restart and the searches do
    /// not queue behind write-back. On SQLite, also read the database file once, so the searches run on a warm
    /// page cache, as on a server that has been up for a while (PostgreSQL keeps what it just wrote cached).
    pub(super) async fn flush_and_warm(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        tokio::process::Command::new("sync")
            .status()
            .await
            .context("cannot run sync")?;
        println!("flushed dirty pages (sync) in {:.1} s", started.elapsed().as_secs_f64());
        if let Some(path) = sqlite_file(&self.url) {
            let started = Instant::now();
            let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
                use std::io::Read;
                let mut file = std::fs::File::open(&path)?;
                let mut buf = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    match file.read(&mut buf)? {
                        0 => return Ok(total),
                        n => total += n as u64,
                    }
                }
            })
            .await
            .context("warming the page cache")??;
            println!(
                "read the database file ({:.2} GB) into the page cache in {:.1} s",
                bytes as f64 / 1e9,
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }
}

/// The seed's text generated again, without writing it: what a run on a database seeded earlier needs to
/// know of it.
pub(super) struct Replayed {
    /// How many seeded tickets contain each vocabulary word, by rank.
    pub(super) document_frequency: Vec<u32>,
    /// The last seeded ticket (the newest).
    pub(super) last: SeedTicket,
}

/// Replays the text of the first `total` seeded tickets (deterministic, so the same as the seeding run's).
pub(super) fn replay_seed(vocab: &Vocabulary, total: u64) -> Replayed {
    let started = Instant::now();
    let mut text = SeedText::new(vocab);
    let mut last = SeedTicket::default();
    for n in 0..total {
        text.next(n, &mut last);
    }
    println!(
        "replayed the text of {total} seeded tickets in {:.1} s (for the words' frequencies)",
        started.elapsed().as_secs_f64()
    );
    Replayed {
        document_frequency: text.document_frequency,
        last,
    }
}

/// Where seeded tickets go: every department and assignee (`None`: unassigned) in turn, shuffled by the
/// ticket's number so that no filter picks every n-th ticket.
pub(super) struct Spread {
    pub(super) departments: Vec<i64>,
    pub(super) assignees: Vec<Option<i64>>,
}

impl Spread {
    fn pick<T: Copy + Default>(list: &[T], n: u64, salt: u64) -> T {
        if list.is_empty() {
            return T::default();
        }
        let mixed = (n ^ salt).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        list[(mixed % list.len() as u64) as usize]
    }

    fn department(&self, n: u64) -> i64 {
        Self::pick(&self.departments, n, 0)
    }

    fn assignee(&self, n: u64) -> Option<i64> {
        Self::pick(&self.assignees, n, 0x5a5a)
    }
}

/// The file behind a `sqlite:` URL.
pub(super) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}
