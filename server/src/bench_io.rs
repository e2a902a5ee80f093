//! `powerdeck bench io`: field I/O figures against the simulator on loopback. The simulated
//! devices run in a child process (`powerdeck simulate --banks 100`), so the CPU measured here is
//! the polling side's alone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use devices::RegisterTable;
use devices::bus::{BusConfig, BusHandle, spawn_bus};
use devices::modbus::Endpoint;
use devices::planner::{self, PlannerConfig, PollClass, PollPoint, ReadBlock};
use tokio_util::sync::CancellationToken;

use crate::simulate::BANK_UNIT;

const DEVICES: usize = 100;
const BANK_REGISTERS: usize = 1_000;

/// The simulator child process; killed on drop.
struct Simulators {
    child: Child,
    banks: Vec<String>,
}

impl Drop for Simulators {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_simulators() -> anyhow::Result<Simulators> {
    let exe = std::env::current_exe().context("locating the powerdeck binary")?;
    let mut child = Command::new(exe)
        .args(["simulate", "--tcp", "127.0.0.1:0", "--banks"])
        .arg(DEVICES.to_string())
        .args(["--bank-registers", &BANK_REGISTERS.to_string()])
        .env("POWERDECK_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting `powerdeck simulate`")?;
    let stdout = child.stdout.take().context("simulator stdout")?;
    let mut banks = Vec::new();
    // "simulator: bank K on ADDR (unit 10)"
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("simulator: bank ") {
            let addr = rest.split_whitespace().nth(2).context("bank address")?;
            banks.push(addr.to_string());
            if banks.len() == DEVICES {
                break;
            }
        }
    }
    anyhow::ensure!(
        banks.len() == DEVICES,
        "the simulator started {} banks",
        banks.len()
    );
    Ok(Simulators { child, banks })
}

fn bus(addr: &str, cancel: &CancellationToken) -> BusHandle {
    let endpoint = Endpoint::Tcp {
        addr: addr.to_string(),
    };
    spawn_bus(BusConfig::new(addr, endpoint), cancel.clone())
}

/// Deterministic xorshift so every run polls the same registers.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `per_device` variables of one or two registers at random addresses of each device.
fn points(devices: &[String], per_device: usize, rng: &mut Rng) -> anyhow::Result<Vec<PollPoint>> {
    let mut points = Vec::new();
    for device in devices {
        for _ in 0..per_device {
            let key = u32::try_from(points.len()).context("too many poll points")?;
            let address = u16::try_from(rng.below(BANK_REGISTERS as u64 - 2))
                .context("the register banks are larger than a Modbus address")?;
            let count = if rng.below(2) == 0 { 1 } else { 2 };
            points.push(PollPoint {
                key,
                device: device.clone(),
                unit_id: BANK_UNIT,
                table: RegisterTable::Input,
                address,
                count,
                class: PollClass::Normal,
            });
        }
    }
    Ok(points)
}

async fn read_blocks(bus: BusHandle, blocks: Vec<ReadBlock>) -> anyhow::Result<()> {
    for block in &blocks {
        bus.read(block.unit_id, block.table, block.start, block.count)
            .await
            .with_context(|| format!("reading {} at {}", bus.name(), block.start))?;
    }
    Ok(())
}

fn blocks_of(plan: &planner::Plan, device: &str) -> Vec<ReadBlock> {
    plan.blocks
        .iter()
        .filter(|b| b.device == device)
        .cloned()
        .collect()
}

/// CPU time (user + system) of this process, from /proc (USER_HZ = 100 on Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run(seconds: u64) -> anyhow::Result<()> {
    let simulators = start_simulators()?;
    let cancel = CancellationToken::new();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    println!("io bench: {DEVICES} simulated devices in a child process, loopback TCP");

    // 1. One poll cycle of 2,000 variables over 10 devices, all devices read concurrently.
    let ten = &simulators.banks[..10];
    let buses: Vec<BusHandle> = ten.iter().map(|addr| bus(addr, &cancel)).collect();
    poll_cycle(&buses, ten, &mut rng).await?;

    // 2. Write + read-back of one variable.
    write_read_back(&buses[0]).await?;

    // 3. 100 devices polled at 1 Hz, 20 variables each.
    polling_load(&simulators.banks, &cancel, &mut rng, seconds).await?;
    cancel.cancel();
    drop(simulators);
    Ok(())
}

/// Times 20 poll cycles of 200 variables on each of the given buses (after one that opens the
/// connections) and prints the median and the slowest.
async fn poll_cycle(buses: &[BusHandle], addrs: &[String], rng: &mut Rng) -> anyhow::Result<()> {
    let plan = planner::plan(&points(addrs, 200, rng)?, &PlannerConfig::default())?;
    let mut cycles = Vec::new();
    for round in 0..21 {
        let before: u64 = buses.iter().map(|b| b.stats().requests).sum();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (bus, addr) in buses.iter().zip(addrs) {
            tasks.push(tokio::spawn(read_blocks(
                bus.clone(),
                blocks_of(&plan, addr),
            )));
        }
        for task in tasks {
            task.await??;
        }
        let took = started.elapsed();
        let sent: u64 = buses.iter().map(|b| b.stats().requests).sum::<u64>() - before;
        anyhow::ensure!(
            sent == plan.requests() as u64,
            "a cycle sent {sent} requests, the plan has {}",
            plan.requests()
        );
        if round > 0 {
            cycles.push(took); // round 0 opens the connections
        }
    }
    cycles.sort();
    println!(
        "poll cycle, 2,000 variables / 10 devices   p50 {}  max {}  ({} requests = the planner's minimum)",
        ms(cycles[cycles.len() / 2]),
        ms(*cycles.last().context("no poll cycle was timed")?),
        plan.requests()
    );
    Ok(())
}

/// Times 200 writes of one register, each read back, and prints the median and the 99th
/// percentile.
async fn write_read_back(target: &BusHandle) -> anyhow::Result<()> {
    let mut round_trips = Vec::new();
    for i in 0..200u16 {
        let started = Instant::now();
        target
            .write(BANK_UNIT, RegisterTable::Holding, 100, &[i])
            .await?;
        let back = target
            .read(BANK_UNIT, RegisterTable::Holding, 100, 1)
            .await?;
        round_trips.push(started.elapsed());
        anyhow::ensure!(back == [i], "read back {back:?} after writing {i}");
    }
    round_trips.sort();
    println!(
        "write + read-back of one variable          p50 {}  p99 {}",
        ms(round_trips[100]),
        ms(round_trips[197])
    );
    Ok(())
}

/// Polls 20 variables of every bank once a second for `seconds` and prints the CPU it took.
async fn polling_load(
    banks: &[String],
    cancel: &CancellationToken,
    rng: &mut Rng,
    seconds: u64,
) -> anyhow::Result<()> {
    let all: Vec<BusHandle> = banks.iter().map(|addr| bus(addr, cancel)).collect();
    let plan = planner::plan(&points(banks, 20, rng)?, &PlannerConfig::default())?;
    let polling = cancel.child_token();
    for (bus, addr) in all.iter().zip(banks) {
        let (bus, blocks, stop) = (bus.clone(), blocks_of(&plan, addr), polling.clone());
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(1));
            // As in the server's poll loops: a late tick is skipped, never bunched.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = ticks.tick() => { let _ = read_blocks(bus.clone(), blocks.clone()).await; }
                }
            }
        });
    }
    // Let every connection open before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests_before: u64 = all.iter().map(|b| b.stats().requests).sum();
    let errors_before: u64 = all.iter().map(|b| b.stats().errors).sum();
    let (cpu_before, wall_before) = (cpu_time(), Instant::now());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu_after, wall) = (cpu_time(), wall_before.elapsed());
    polling.cancel();
    let requests = all.iter().map(|b| b.stats().requests).sum::<u64>() - requests_before;
    let errors = all.iter().map(|b| b.stats().errors).sum::<u64>() - errors_before;
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        println!(
            "100 devices at 1 Hz for {seconds} s              {:.1} % of one core  ({requests} requests, {errors} errors, {} per cycle)",
            (after - before).as_secs_f64() / wall.as_secs_f64() * 100.0,
            plan.requests()
        );
    }
    Ok(())
}
