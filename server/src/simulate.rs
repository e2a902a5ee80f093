//! `powerdeck simulate`: the built-in device simulator on its own, for trying a real Modbus client
//! (or a second console) against it. Runs until Ctrl-C / SIGTERM.

use std::net::SocketAddr;

use anyhow::Context;
use devices::simulator::Simulator;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Serve Modbus TCP here (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:5020")]
    pub tcp: SocketAddr,
    /// Also serve Modbus RTU on this serial path (e.g. one end of `socat -d -d pty,raw,echo=0
    /// pty,raw,echo=0`).
    #[arg(long)]
    pub rtu: Option<String>,
    /// Baud rate of the RTU line.
    #[arg(long, default_value_t = 115_200)]
    pub baud_rate: u32,
    /// Also serve this many register banks, each on its own free loopback port (unit
    /// `BANK_UNIT`), as stand-ins for many devices (`bench io` uses them).
    #[arg(long, default_value_t = 0)]
    pub banks: usize,
    /// Input and holding registers per bank.
    #[arg(long, default_value_t = 1_000)]
    pub bank_registers: usize,
}

/// The unit id of a bank on its port.
pub const BANK_UNIT: u8 = 10;

pub async fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    // Before the first line says the simulator is up.
    let signals = crate::serve::cancel_on_signal(cancel.clone())?;
    let bound = simulator
        .serve_tcp(args.tcp, cancel.clone())
        .await
        .with_context(|| format!("cannot serve Modbus TCP on {}", args.tcp))?;
    println!("simulator: Modbus TCP on {bound} (unit 1 inverter, 2 BMS, 3 meter)");
    if let Some(path) = &args.rtu {
        simulator
            .serve_rtu(path, args.baud_rate, cancel.clone())
            .with_context(|| format!("cannot open {path} for Modbus RTU"))?;
        println!("simulator: Modbus RTU on {path} at {} baud", args.baud_rate);
    }
    for bank in 0..args.banks {
        let bank_simulator = Simulator::new().with_bank(BANK_UNIT, args.bank_registers);
        let addr = bank_simulator
            .serve_tcp(SocketAddr::from(([127, 0, 0, 1], 0)), cancel.clone())
            .await
            .context("cannot serve a register bank")?;
        println!("simulator: bank {bank} on {addr} (unit {BANK_UNIT})");
        tokio::spawn(bank_simulator.run(cancel.clone()));
    }
    tokio::spawn(signals);
    simulator.run(cancel).await;
    println!("simulator: stopped");
    Ok(())
}
