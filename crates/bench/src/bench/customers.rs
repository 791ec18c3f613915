//! The customer-database benchmark (`--customers N`, issue 9): custom attributes, N seeded customers,
//! keyword and filter queries of the native list and TeamTools' list, each beside the same run's baselines.
//!
//! The seed is deterministic per customer number, so a database seeded by an earlier run is reused (the
//! newest customer's `external_id`, `bench-<n>`, says how far it got) and the words' frequencies are
//! recomputed without reading the database.
use super::*;
use domain::{Attribute, AttributeEntity, Attributes};
use serde_json::{Value, json};

/// Industries (the searchable text attribute), most common first; drawn with Zipf frequencies.
const INDUSTRIES: [&str; 40] = [
    "Software",
    "Retail",
    "Logistics",
    "Manufacturing",
    "Healthcare",
    "Construction",
    "Consulting",
    "Education",
    "Hospitality",
    "Finance",
    "Insurance",
    "Real estate",
    "Agriculture",
    "Automotive",
    "Telecommunications",
    "Media",
    "Energy",
    "Legal services",
    "Food processing",
    "Pharmaceuticals",
    "Textiles",
    "Chemicals",
    "Aerospace",
    "Shipping",
    "Mining",
    "Biotechnology",
    "Publishing",
    "Architecture",
    "Printing",
    "Forestry",
    "Fisheries",
    "Waste management",
    "Security services",
    "Event management",
    "Translation",
    "Recruitment",
    "Veterinary",
    "Water utilities",
    "Glassmaking",
    "Watchmaking",
];
/// The rare value of the filter queries: about one customer in 5,000 keeps lighthouses.
const RARE_INDUSTRY: &str = "Lighthouse keeping";
/// Cities with their countries, most common first; drawn with Zipf frequencies.
const CITIES: [(&str, &str); 40] = [
    ("London", "United Kingdom"),
    ("Berlin", "Germany"),
    ("New York", "United States"),
    ("Paris", "France"),
    ("Madrid", "Spain"),
    ("Munich", "Germany"),
    ("Amsterdam", "Netherlands"),
    ("Chicago", "United States"),
    ("Milan", "Italy"),
    ("Hamburg", "Germany"),
    ("Toronto", "Canada"),
    ("Stockholm", "Sweden"),
    ("Vienna", "Austria"),
    ("Zurich", "Switzerland"),
    ("Manchester", "United Kingdom"),
    ("Barcelona", "Spain"),
    ("Lyon", "France"),
    ("Cologne", "Germany"),
    ("Austin", "United States"),
    ("Dublin", "Ireland"),
    ("Copenhagen", "Denmark"),
    ("Oslo", "Norway"),
    ("Helsinki", "Finland"),
    ("Rotterdam", "Netherlands"),
    ("Frankfurt", "Germany"),
    ("Lisbon", "Portugal"),
    ("Warsaw", "Poland"),
    ("Prague", "Czechia"),
    ("Brussels", "Belgium"),
    ("Montreal", "Canada"),
    ("Seattle", "United States"),
    ("Leeds", "United Kingdom"),
    ("Turin", "Italy"),
    ("Gothenburg", "Sweden"),
    ("Graz", "Austria"),
    ("Geneva", "Switzerland"),
    ("Porto", "Portugal"),
    ("Krakow", "Poland"),
    ("Kingston", "Jamaica"),
    ("Reykjavik", "Iceland"),
];
/// Plans (the select attribute) with their share in percent.
const PLANS: [(&str, u64); 5] = [
    ("free", 40),
    ("basic", 25),
    ("silver", 18),
    ("gold", 12),
    ("platinum", 5),
];
/// Tags with the share of customers that carry each, in per mille.
const TAGS: [(&str, u64); 6] = [
    ("trial", 100),
    ("enterprise", 60),
    ("partner", 50),
    ("churn-risk", 40),
    ("vip", 30),
    ("reseller", 20),
];
const SUFFIXES: [&str; 10] = ["Ltd", "GmbH", "Inc", "LLC", "SA", "BV", "AB", "Oy", "plc", "KG"];
/// The company-name vocabulary: pseudo-words with Zipf frequencies (as the ticket text's).
const NAME_WORDS: usize = 20_000;

/// The custom attributes the bench defines, as `POST /api/v1/attributes/customer` bodies.
fn attribute_inputs() -> Vec<AttributeInput> {
    let def = |name: &str, kind: &str| AttributeInput {
        name: Some(name.into()),
        pretty_name: Some(name.replace('_', " ")),
        kind: Some(kind.into()),
        ..AttributeInput::default()
    };
    vec![
        AttributeInput {
            searchable: Some(true),
            ..def("industry", "text")
        },
        AttributeInput {
            options: Some(PLANS.iter().map(|p| p.0.to_owned()).collect()),
            ..def("plan", "select")
        },
        def("seats", "number"),
        def("renewal", "date"),
        def("active", "boolean"),
        AttributeInput {
            unique: Some(true),
            ..def("vat_id", "text")
        },
    ]
}

/// A pick from `len` ranks with Zipf frequencies (exponent 1).
fn zipf(rng: &mut Rng, len: usize) -> usize {
    let harmonic: f64 = (1..=len).map(|r| 1.0 / r as f64).sum();
    let mut u = rng.unit() * harmonic;
    for r in 1..=len {
        u -= 1.0 / r as f64;
        if u < 0.0 {
            return r - 1;
        }
    }
    len - 1
}

fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u64)]) -> T {
    let total: u64 = items.iter().map(|i| i.1).sum();
    let mut u = rng.below(total);
    for (item, weight) in items {
        if u < *weight {
            return *item;
        }
        u -= weight;
    }
    items[items.len() - 1].0
}

/// A VAT-like id, unique per customer number (7,919 is coprime to 10⁹, so n ↦ 7,919·n mod 10⁹ is one-to-one).
fn vat_id(n: u64) -> String {
    format!("EU{:09}", (n.wrapping_mul(7_919) + 13) % 1_000_000_000)
}

/// Customer number `n` of the seed, with the values a client would send (checked by the attribute rules
/// when stored), and the name-vocabulary words in its name.
struct SeedCustomer {
    name: String,
    email: String,
    phone: Option<String>,
    city: String,
    country: String,
    tags: Vec<String>,
    values: Vec<(&'static str, Value)>,
    words: [usize; 2],
}

fn seed_customer(n: u64, vocab: &Vocabulary) -> SeedCustomer {
    let mut rng = Rng::new(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xc057_0e25);
    rng.next_u64();
    let words = [vocab.sample(&mut rng), vocab.sample(&mut rng)];
    let two = rng.below(3) > 0;
    let suffix = SUFFIXES[rng.below(SUFFIXES.len() as u64) as usize];
    let name = if two {
        format!(
            "{} {} {suffix}",
            capitalized(vocab.word(words[0])),
            capitalized(vocab.word(words[1]))
        )
    } else {
        format!("{} {suffix}", capitalized(vocab.word(words[0])))
    };
    let words = if two { words } else { [words[0], words[0]] };
    let email = format!("contact{n}@{}.example", vocab.word(words[0]));
    let (city, country) = CITIES[zipf(&mut rng, CITIES.len())];
    let phone = (rng.below(2) == 0).then(|| format!("+{} {}", 10 + rng.below(89), 1_000_000 + rng.below(8_999_999)));
    let industry = if rng.below(5_000) == 0 {
        RARE_INDUSTRY
    } else {
        INDUSTRIES[zipf(&mut rng, INDUSTRIES.len())]
    };
    // Seats: log-uniform from 1 to 10,000 (a quarter or so has 100 or more).
    let seats = (10f64.powf(rng.unit() * 4.0)).round();
    let renewal = jiff::civil::date(2026, 1, 1)
        .checked_add(jiff::Span::new().days(rng.below(3 * 365) as i64))
        .map_or_else(|_| "2027-06-30".to_owned(), |d| d.to_string());
    let mut tags = Vec::new();
    for (tag, per_mille) in TAGS {
        if rng.below(1000) < per_mille {
            tags.push(tag.to_owned());
        }
    }
    tags.sort();
    let values = vec![
        ("industry", json!(industry)),
        ("plan", json!(weighted(&mut rng, &PLANS))),
        ("seats", json!(seats)),
        ("renewal", json!(renewal)),
        ("active", json!(rng.below(100) < 85)),
        ("vat_id", json!(vat_id(n))),
    ];
    SeedCustomer {
        name,
        email,
        phone,
        city: city.to_owned(),
        country: country.to_owned(),
        tags,
        values,
        words,
    }
}

/// The kinds of queries measured, by the tag of their requests.
#[derive(Clone, Copy)]
enum Kind {
    KeywordCommon,
    KeywordMedium,
    KeywordRare,
    KeywordPrefix,
    KeywordAttribute,
    PlanGold,
    SeatsGte100,
    RenewalBefore2027,
    CountryGermany,
    IndustryContainsLog,
    GoldAndSeats,
    RareValue,
    UniqueVatId,
    Tag,
}

const KEYWORD_KINDS: [Kind; 5] = [
    Kind::KeywordCommon,
    Kind::KeywordMedium,
    Kind::KeywordRare,
    Kind::KeywordPrefix,
    Kind::KeywordAttribute,
];
const FILTER_KINDS: [Kind; 9] = [
    Kind::PlanGold,
    Kind::SeatsGte100,
    Kind::RenewalBefore2027,
    Kind::CountryGermany,
    Kind::IndustryContainsLog,
    Kind::GoldAndSeats,
    Kind::RareValue,
    Kind::UniqueVatId,
    Kind::Tag,
];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::KeywordCommon => "keyword: common word (≥1%)",
            Kind::KeywordMedium => "keyword: medium word (0.05–1%)",
            Kind::KeywordRare => "keyword: rare word (<0.05%)",
            Kind::KeywordPrefix => "keyword: 3-letter prefix",
            Kind::KeywordAttribute => "keyword: industry (attribute)",
            Kind::PlanGold => "filter plan{eq}gold",
            Kind::SeatsGte100 => "filter seats{gte}100",
            Kind::RenewalBefore2027 => "filter renewal{lt}2027-01-01",
            Kind::CountryGermany => "filter country{eq}germany",
            Kind::IndustryContainsLog => "filter industry{ct}log",
            Kind::GoldAndSeats => "filter plan{eq}gold;seats{gte}100",
            Kind::RareValue => "filter industry{eq}<rare value>",
            Kind::UniqueVatId => "filter vat_id{eq}<one customer>",
            Kind::Tag => "tag=vip",
        }
    }
}

/// The words of the keyword queries, by the share of customers whose name holds them.
struct Words {
    vocab: Arc<Vocabulary>,
    common: Vec<usize>,
    medium: Vec<usize>,
    rare: Vec<usize>,
}

impl Words {
    fn new(vocab: Arc<Vocabulary>, customers: u64) -> Self {
        let mut frequency = vec![0u64; vocab.len()];
        for n in 0..customers {
            let c = seed_customer(n, &vocab);
            frequency[c.words[0]] += 1;
            if c.words[1] != c.words[0] {
                frequency[c.words[1]] += 1;
            }
        }
        let (mut common, mut medium, mut rare) = (vec![], vec![], vec![]);
        for (rank, &f) in frequency.iter().enumerate() {
            let share = f as f64 / customers.max(1) as f64;
            match share {
                0.0 => {}
                s if s < 0.0005 => rare.push(rank),
                s if s < 0.01 => medium.push(rank),
                _ => common.push(rank),
            }
        }
        Self {
            vocab,
            common,
            medium,
            rare,
        }
    }

    fn pick(&self, list: &[usize], rng: &mut Rng) -> String {
        if list.is_empty() {
            return self.vocab.word(0).to_owned();
        }
        self.vocab.word(list[rng.below(list.len() as u64) as usize]).to_owned()
    }

    /// The `keyword` of a query of `kind`.
    fn keyword(&self, kind: Kind, rng: &mut Rng) -> String {
        match kind {
            Kind::KeywordCommon => self.pick(&self.common, rng),
            Kind::KeywordRare => self.pick(&self.rare, rng),
            Kind::KeywordPrefix => {
                let word = self.pick(&self.medium, rng);
                word.chars().take(3).collect()
            }
            Kind::KeywordAttribute => {
                let industry = INDUSTRIES[zipf(rng, INDUSTRIES.len())];
                industry.split(' ').next().unwrap_or(industry).to_lowercase()
            }
            _ => self.pick(&self.medium, rng),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} common (≥1% of customers), {} medium, {} rare (<0.05%) name words of {}",
            self.common.len(),
            self.medium.len(),
            self.rare.len(),
            self.vocab.len()
        )
    }
}

/// The query parameters of a filter query of `kind` (`customers`: how many were seeded).
fn filter_params(kind: Kind, customers: u64, rng: &mut Rng) -> Vec<(&'static str, String)> {
    let filter = |f: &str| vec![("filter", f.to_owned())];
    match kind {
        Kind::PlanGold => filter("plan{eq}gold"),
        Kind::SeatsGte100 => filter("seats{gte}100"),
        Kind::RenewalBefore2027 => filter("renewal{lt}2027-01-01"),
        Kind::CountryGermany => filter("country{eq}germany"),
        Kind::IndustryContainsLog => filter("industry{ct}log"),
        Kind::GoldAndSeats => filter("plan{eq}gold;seats{gte}100"),
        Kind::RareValue => filter(&format!("industry{{eq}}{}", RARE_INDUSTRY.to_lowercase())),
        Kind::UniqueVatId => filter(&format!("vat_id{{eq}}{}", vat_id(rng.below(customers.max(1))))),
        Kind::Tag => vec![("tag", "vip".to_owned())],
        _ => vec![],
    }
}

/// One phase's figures per kind of query.
pub(super) struct KindStats {
    pub(super) phase: Stats,
    pub(super) kinds: Vec<Stats>,
}

fn kind_stats(out: &PhaseOutput, name: &str, kinds: &[Kind]) -> KindStats {
    let mut phase = out.stats();
    phase.name = name.to_owned();
    let kinds = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let latencies = out
                .samples
                .iter()
                .filter(|s| usize::from(s.1) == i)
                .map(|s| s.0)
                .collect();
            let mut stats = Stats::of(latencies, out.elapsed);
            stats.name = kind.label().to_owned();
            stats.concurrency = out.concurrency;
            stats
        })
        .collect();
    KindStats { phase, kinds }
}

/// The figures of a customer run, printed at the end.
#[derive(Default)]
pub(super) struct CustomerReport {
    pub(super) customers: u64,
    pub(super) seed: Option<(u64, f64)>,
    pub(super) healthz_ceiling: Option<Stats>,
    pub(super) healthz_baseline: Option<Stats>,
    pub(super) list_baseline: Option<Stats>,
    pub(super) keyword: Option<KindStats>,
    pub(super) filter: Option<KindStats>,
    pub(super) teamtools: Option<KindStats>,
    pub(super) teamtools_keyword: Option<KindStats>,
}

impl CustomerReport {
    pub(super) fn print(&self, backend: &str, seconds: u64) {
        let latency = |s: &Stats| format!("p50 {:>8} p95 {:>8} p99 {:>8}", ms(s.p50), ms(s.p95), ms(s.p99));
        let ceiling = self.healthz_ceiling.as_ref().map_or(0.0, Stats::rps);
        let share = |s: &Stats| {
            if ceiling > 0.0 {
                format!("{:.1}% of healthz", s.rps() / ceiling * 100.0)
            } else {
                String::new()
            }
        };
        let full = self.customers >= 1_000_000;
        let (mut verdicts, mut failures) = (0, 0);
        println!();
        println!(
            "==== ferrodesk bench summary: customer database, {backend}, {} CPUs, {seconds} s per phase, {} customers ====",
            cpus(),
            self.customers
        );
        if let Some((n, secs)) = self.seed {
            println!(
                "seeded {n} customers in {secs:.0} s ({:.0} customers/s, through the store)",
                n as f64 / secs.max(1e-9)
            );
        }
        if let Some(h) = &self.healthz_ceiling {
            println!(
                "/healthz c={}: {:.0} req/s {}   (HTTP ceiling of this run)",
                h.concurrency,
                h.rps(),
                latency(h)
            );
        }
        if let Some(h) = &self.healthz_baseline {
            println!(
                "baseline /healthz c={}: {:.0} req/s {}",
                h.concurrency,
                h.rps(),
                latency(h)
            );
        }
        if let Some(l) = &self.list_baseline {
            println!(
                "baseline GET /api/v1/customers?limit=50 c={}: {:.0} req/s ({}) {}",
                l.concurrency,
                l.rps(),
                share(l),
                latency(l)
            );
        }
        let baseline = self
            .list_baseline
            .as_ref()
            .map_or(String::new(), |l| format!("(plain list p95 {})", ms(l.p95)));
        for (ks, target) in [
            (&self.keyword, Some(20u64)),
            (&self.filter, Some(30)),
            (&self.teamtools_keyword, None),
            (&self.teamtools, None),
        ] {
            let Some(ks) = ks else { continue };
            let p = &ks.phase;
            let errors = if p.errors > 0 {
                format!(" ({} errors)", p.errors)
            } else {
                String::new()
            };
            println!(
                "{} c={}: {:.0} req/s ({}) {}{errors}",
                p.name,
                p.concurrency,
                p.rps(),
                share(p),
                latency(p)
            );
            for k in &ks.kinds {
                let mark = match target {
                    Some(limit) if full => {
                        verdicts += 1;
                        let ok = k.p95 <= Duration::from_millis(limit) && p.errors == 0 && k.count > 0;
                        if !ok {
                            failures += 1;
                        }
                        format!("(target p95 ≤{limit} ms) {}", verdict(ok))
                    }
                    Some(limit) => format!("(target p95 ≤{limit} ms at 1,000,000; not judged)"),
                    None => String::new(),
                };
                println!("  {:<38} n={:<6} {}  {baseline} {mark}", k.name, k.count, latency(k));
            }
        }
        println!(
            "{}",
            match (verdicts, failures) {
                (0, _) => "nothing judged".to_owned(),
                (n, 0) => format!("all {n} judged targets met"),
                (n, f) => format!("{f} of {n} judged targets missed"),
            }
        );
    }
}

impl Bench {
    /// The customer mode: attributes, seeding (or reuse), then the measured phases.
    pub(super) async fn run_customers(&mut self, total: u64) -> anyhow::Result<()> {
        println!(
            "ferrodesk bench, customer database: {} ({}), {} CPUs, {} s per phase, queries at c={}, {total} customers",
            self.backend,
            ferrodesk::settings::mask_database_url(&self.url),
            cpus(),
            self.args.seconds,
            self.args.query_concurrency,
        );
        self.customers.customers = total;
        let vocab = Arc::new(Vocabulary::new(NAME_WORDS, 0xc0_5705));
        self.start().await?;
        self.define_attributes().await?;
        let seeded = self.seeded_customers().await?;
        self.stop().await?;
        if seeded < total {
            println!("{seeded} customers of the seed found; seeding {} more", total - seeded);
            self.seed_customers(seeded, total, &vocab).await?;
            self.flush_and_warm().await?;
        } else {
            println!("the database holds the {total} seeded customers already: reusing them");
            self.flush_and_warm().await?;
        }
        let started = Instant::now();
        let words = Arc::new(Words::new(vocab, total));
        println!(
            "keyword words: {} (replayed in {:.1} s)",
            words.describe(),
            started.elapsed().as_secs_f64()
        );
        let ready = self.start().await?;
        println!("start to ready on the seeded database: {}", ms(ready));
        self.customer_phases(words, total).await?;
        self.stop().await
    }

    async fn define_attributes(&self) -> anyhow::Result<()> {
        let fd = self.client()?;
        let existing = fd.attributes(AttributeEntity::Customer).await?.data;
        for input in attribute_inputs() {
            let name = input.name.clone().unwrap_or_default();
            match existing.iter().find(|a| a.name == name) {
                Some(a) if a.kind.as_str() == input.kind.as_deref().unwrap_or_default() => {}
                Some(a) => bail!(
                    "the database has a customer attribute {name} of type {}; the bench needs {:?}",
                    a.kind.as_str(),
                    input.kind
                ),
                None => {
                    fd.create_attribute(AttributeEntity::Customer, &input)
                        .await
                        .with_context(|| format!("defining the attribute {name}"))?;
                }
            }
        }
        Ok(())
    }

    /// How many customers of the seed the database holds: the newest customer's `external_id` is
    /// `bench-<n>` when an earlier run seeded it (seeding runs in id order).
    async fn seeded_customers(&self) -> anyhow::Result<u64> {
        let page = self
            .client()?
            .find_customers(
                &api_types::PersonListQuery {
                    limit: Some(1),
                    deleted: Some(api_types::DeletedQuery::Include),
                    ..Default::default()
                },
                &[],
            )
            .await?;
        let Some(newest) = page.data.first() else {
            return Ok(0);
        };
        match newest.external_id.as_deref().and_then(|e| e.strip_prefix("bench-")) {
            Some(n) => Ok(n.parse::<u64>().context("a bench external_id that is not a number")? + 1),
            None if self.args.allow_existing => Ok(0),
            None => bail!(
                "the database holds customers that the bench did not seed; give the URL of an empty database \
                 or one seeded by the bench (or --allow-existing)"
            ),
        }
    }

    /// Writes customers `from..total` of the seed straight through the store, in transactions of `--batch`,
    /// with the value forms every write of the app stores (`app::indexed_values`).
    async fn seed_customers(&mut self, from: u64, total: u64, vocab: &Arc<Vocabulary>) -> anyhow::Result<()> {
        let settings = Settings {
            database_url: self.url.as_str().into(),
            ..Settings::default()
        };
        let store = ferrodesk::open_store(&settings).await?;
        let definitions = Arc::new(store.read().await?.attributes(AttributeEntity::Customer, true).await?);
        let started = Instant::now();
        let now_us = store::time::to_micros(store::time::now());
        let writers = self
            .args
            .seed_writers
            .unwrap_or(if self.backend == "sqlite" { 1 } else { 2 })
            .max(1);
        let batch = self.args.batch;
        println!(
            "seeding customers {from}..{total} through the store ({writers} writer(s), {batch} per transaction) ..."
        );
        let (send, receive) = tokio::sync::mpsc::channel::<std::ops::Range<u64>>(writers * 2);
        let receive = Arc::new(tokio::sync::Mutex::new(receive));
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..writers {
            let (store, receive, done, vocab, definitions) = (
                store.clone(),
                receive.clone(),
                done.clone(),
                vocab.clone(),
                definitions.clone(),
            );
            tasks.spawn(async move {
                loop {
                    let Some(range) = receive.lock().await.recv().await else {
                        return anyhow::Ok(());
                    };
                    let len = range.end - range.start;
                    let mut tx = store.write().await?;
                    for n in range {
                        let (customer, values) = seed_record(n, total, now_us, &vocab, &definitions)?;
                        tx.insert_customer(&customer, &values).await?;
                    }
                    tx.commit().await?;
                    let before = done.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                    let after = before + len;
                    if after / 100_000 > before / 100_000 {
                        let secs = started.elapsed().as_secs_f64();
                        println!(
                            "  {after:>9} customers in {secs:>6.1} s ({:.0}/s)",
                            after as f64 / secs.max(1e-9)
                        );
                    }
                }
            });
        }
        // Batches go out in order; with one writer, ids follow the customer numbers (with several, the
        // newest id still belongs to the last batch only if it commits last, so resuming uses one writer).
        let mut n = from;
        while n < total {
            let end = (n + batch).min(total);
            if send.send(n..end).await.is_err() {
                break;
            }
            n = end;
        }
        drop(send);
        while let Some(joined) = tasks.join_next().await {
            joined.context("a seeding task panicked")??;
        }
        store.close().await;
        let secs = started.elapsed().as_secs_f64();
        println!("seeded {} customers in {secs:.1} s", total - from);
        self.customers.seed = Some((total - from, secs));
        Ok(())
    }

    async fn customer_phases(&mut self, words: Arc<Words>, total: u64) -> anyhow::Result<()> {
        let base = self.server()?.base.clone();
        let c = self.args.concurrency;
        let qc = self.args.query_concurrency;
        let seconds = Duration::from_secs(self.args.seconds);
        let run = async |bench: &Self, name: &str, concurrency: usize, make: MakeRequest| {
            let out = load(&bench.http, concurrency, seconds, false, make).await;
            let mut stats = out.stats();
            stats.name = name.to_owned();
            println!("{}", stats.line());
            if let Some(e) = &out.first_error {
                println!("  first error: {e}");
            }
            out
        };
        let healthz: MakeRequest = Arc::new({
            let url = format!("{base}/healthz");
            move |http: &reqwest::Client, _: &mut Rng| (http.get(&url), 0)
        });
        let mut s = run(self, "GET /healthz (ceiling)", c, healthz.clone()).await.stats();
        s.name = "GET /healthz".into();
        self.customers.healthz_ceiling = Some(s);
        let s = run(self, "GET /healthz (baseline)", qc, healthz).await.stats();
        self.customers.healthz_baseline = Some(s);
        let list: MakeRequest = Arc::new({
            let url = format!("{base}/api/v1/customers?limit=50");
            let token = self.token.clone();
            move |http: &reqwest::Client, _: &mut Rng| (http.get(&url).bearer_auth(&token), 0)
        });
        let s = run(self, "GET /api/v1/customers?limit=50", qc, list).await.stats();
        self.customers.list_baseline = Some(s);

        let native = format!("{base}/api/v1/customers");
        let teamtools = format!("{base}/teamtools/customers");
        let keyword = |url: &str| -> MakeRequest {
            let (url, token, words) = (url.to_owned(), self.token.clone(), words.clone());
            Arc::new(move |http: &reqwest::Client, rng: &mut Rng| {
                let i = rng.below(KEYWORD_KINDS.len() as u64) as usize;
                let k = words.keyword(KEYWORD_KINDS[i], rng);
                let rb = http.get(&url).query(&[("keyword", k.as_str())]).bearer_auth(&token);
                (rb, i as u8)
            })
        };
        let filter = |url: &str| -> MakeRequest {
            let (url, token) = (url.to_owned(), self.token.clone());
            Arc::new(move |http: &reqwest::Client, rng: &mut Rng| {
                let i = rng.below(FILTER_KINDS.len() as u64) as usize;
                let params = filter_params(FILTER_KINDS[i], total, rng);
                (http.get(&url).query(&params).bearer_auth(&token), i as u8)
            })
        };
        // Unmeasured: the first queries after a start fill the caches.
        let warm_up = Duration::from_secs(self.args.seconds.min(3));
        for make in [keyword(&native), filter(&native)] {
            load(&self.http, qc, warm_up, false, make).await;
        }
        let out = run(self, "keyword GET /api/v1/customers?keyword=", qc, keyword(&native)).await;
        self.customers.keyword = Some(kind_stats(&out, "keyword (native list)", &KEYWORD_KINDS));
        let out = run(self, "filter GET /api/v1/customers?filter=", qc, filter(&native)).await;
        self.customers.filter = Some(kind_stats(&out, "filter (native list)", &FILTER_KINDS));
        let out = run(self, "keyword GET /teamtools/customers", qc, keyword(&teamtools)).await;
        self.customers.teamtools_keyword =
            Some(kind_stats(&out, "keyword, TeamTools list (with total)", &KEYWORD_KINDS));
        let out = run(self, "filter GET /teamtools/customers", qc, filter(&teamtools)).await;
        self.customers.teamtools = Some(kind_stats(&out, "filter, TeamTools list (with total)", &FILTER_KINDS));
        Ok(())
    }
}

/// Customer number `n` of `total` as the store writes it: values checked by their attribute's rule and
/// indexed as every write indexes them. Created one every 150 s back to now.
fn seed_record(
    n: u64,
    total: u64,
    now_us: i64,
    vocab: &Vocabulary,
    definitions: &[Attribute],
) -> anyhow::Result<(Customer, Vec<store::IndexedValue>)> {
    let seed = seed_customer(n, vocab);
    let mut attributes = Attributes::new();
    for (name, given) in seed.values {
        let def = definitions
            .iter()
            .find(|d| d.name == name && d.deleted_at.is_none())
            .with_context(|| format!("no live customer attribute {name}"))?;
        let value = def
            .check_value(&given)
            .map_err(|e| anyhow::anyhow!("seed value of {name}: {e}"))?;
        if let Some(value) = value {
            attributes.insert(def.name.clone(), value.to_json());
        }
    }
    let values = app::indexed_values(definitions, &attributes);
    let at = store::time::from_micros(now_us - (total.saturating_sub(n)) as i64 * 150_000_000);
    let customer = Customer {
        id: 0,
        name: seed.name,
        email: Some(seed.email),
        phone: seed.phone,
        city: Some(seed.city),
        country: Some(seed.country),
        external_id: Some(format!("bench-{n}")),
        tags: seed.tags,
        attributes,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    Ok((customer, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_customers_are_deterministic_and_varied() {
        let vocab = Vocabulary::new(NAME_WORDS, 0xc0_5705);
        let a = seed_customer(42, &vocab);
        let b = seed_customer(42, &vocab);
        assert_eq!((a.name, a.values), (b.name, b.values));
        let mut gold = 0;
        let mut germany = 0;
        for n in 0..10_000 {
            let c = seed_customer(n, &vocab);
            gold += usize::from(c.values.iter().any(|(k, v)| *k == "plan" && v == "gold"));
            germany += usize::from(c.country == "Germany");
        }
        assert!((800..1600).contains(&gold), "gold: {gold}");
        assert!((500..3000).contains(&germany), "germany: {germany}");
    }

    #[test]
    fn vat_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..100_000).map(vat_id).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
