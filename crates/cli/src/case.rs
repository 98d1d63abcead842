//! `vigil case`: the whole investigation of a set of evidence written into
//! one case folder (`vigil_investigate::case`), and `vigil case --verify` to
//! check the evidence still matches its manifest.

use std::process::ExitCode;
use std::time::Instant;

use vigil_incident::Options;
use vigil_investigate::case::{self, CaseRequest};
use vigil_respond::manifest::FileState;
use vigil_respond::{ContainmentPlan, Lang};

use crate::args::CaseArgs;

pub fn run(args: &CaseArgs) -> anyhow::Result<ExitCode> {
    if let Some(case) = &args.verify {
        return verify(case);
    }
    let Some(out) = &args.out else {
        anyhow::bail!("give --out CASE (the case folder to write) or --verify CASE");
    };
    let started = Instant::now();
    let aware_at = args
        .aware_at
        .as_deref()
        .map(|t| {
            vigil_exfil::time::parse(t)
                .ok_or_else(|| anyhow::anyhow!("--aware-at {t}: not a time (use RFC 3339)"))
        })
        .transpose()?;
    let case = case::write_case(&CaseRequest {
        paths: &args.paths,
        inventory: args.inventory.as_deref(),
        rules: &args.rules.spec(),
        out,
        aware_at,
        options: Options {
            seed_level: args.seed_level,
            clock_skew: args.clock.clock_skew,
            ..Options::default()
        },
        lang: args.lang.into(),
        threads: args.threads,
        progress: !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        command: std::env::args().collect(),
    })?;
    let (report, assessment, concluded) = (&case.report, &case.assessment, &case.concluded);
    println!("Case folder: {}", out.display());
    println!(
        "Report: {} (open in a browser; also report.md)",
        out.join("report.html").display()
    );
    println!(
        "Incidents: {}; data taken: {}",
        report.incidents.len(),
        assessment.verdict.as_str()
    );
    print_plan(&concluded.plan, 4, args.lang.into());
    for clock in &concluded.clocks {
        println!(
            "Clock {}: {}{}",
            clock.law,
            match clock.deadline {
                Some(d) => format!("due {} UTC", d.format("%Y-%m-%d %H:%M")),
                None => "no fixed deadline".into(),
            },
            if clock.overdue() { " — OVERDUE" } else { "" }
        );
    }
    let unreadable = concluded
        .evidence
        .iter()
        .filter(|e| e.problem.is_some())
        .count();
    println!(
        "Evidence: {} file(s) hashed into {}{}",
        concluded.evidence.len() - unreadable,
        concluded.manifest.display(),
        if unreadable > 0 {
            format!("; {unreadable} could not be read (listed there)")
        } else {
            String::new()
        }
    );
    if !args.quiet {
        for p in &case.problems {
            eprintln!("skipped: {p}");
        }
        for issue in case.summary.issues.iter().take(20) {
            eprintln!("skipped: {issue}");
        }
        eprintln!("{:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan's summary and its first `steps` steps, in the report's language.
pub fn print_plan(plan: &ContainmentPlan, steps: usize, lang: Lang) {
    let label = match lang {
        Lang::En => "Containment",
        Lang::De => "Eindämmung",
    };
    println!("{label}: {}", plan.summary_in(lang));
    for step in plan.order.iter().take(steps) {
        println!(
            "  {}. {}: {}",
            step.step,
            step.action_in(lang),
            step.targets.join(", ")
        );
    }
}

/// Re-hashes the case's evidence; exit 0 when every file matches, 1 when not.
fn verify(case: &std::path::Path) -> anyhow::Result<ExitCode> {
    let verification = vigil_respond::verify(case)?;
    for f in &verification.files {
        let state = match f.state {
            FileState::Same => "same",
            FileState::Changed => "CHANGED",
            FileState::Missing => "MISSING",
            FileState::Unreadable => "UNREADABLE",
            FileState::NotHashed => "not hashed at analysis",
        };
        println!(
            "{state:<10} {}{}",
            f.path,
            f.problem
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
    }
    let bad = verification.files.len()
        - verification.count(FileState::Same)
        - verification.count(FileState::NotHashed);
    if verification.intact() {
        println!(
            "evidence intact: {} file(s) match the manifest",
            verification.count(FileState::Same)
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("evidence NOT intact: {bad} file(s) differ from the manifest");
        Ok(ExitCode::from(1))
    }
}
