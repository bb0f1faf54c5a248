//! The `imgql` binary: parse configuration, then serve, migrate or export the schema.

use clap::Parser;
use imgql::{
    config::{Cli, Command},
    AppState,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema) = cli.command {
        print!("{}", imgql::graphql::export_sdl());
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .init();
    let config = cli.config;
    config.validate().map_err(anyhow::Error::msg)?;
    match cli.command {
        Some(Command::Migrate) => {
            AppState::new(config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        _ => serve(config).await,
    }
}

async fn serve(config: imgql::Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!("GraphiQL:   http://{addr}/");
    tracing::info!("GraphQL:    http://{addr}/graphql");
    tracing::info!("WebSocket:  ws://{addr}/graphql/ws");
    imgql::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
