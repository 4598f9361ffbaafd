#include "app/CommandLine.h"

#include <QDir>
#include <QStandardPaths>

#include <variant>

namespace l402::app {

std::variant<GlobalOptions, ParseError> parseGlobalOptions(const QStringList& argv)
{
    GlobalOptions options;
    for (qsizetype i = 1; i < argv.size(); ++i) {
        const QString& argument = argv.at(i);
        auto takeValue = [&](const QString& name) -> std::optional<QString> {
            const QString prefix = name + QLatin1Char('=');
            if (argument.startsWith(prefix)) {
                return argument.mid(prefix.size());
            }
            if (i + 1 < argv.size()) {
                return argv.at(++i);
            }
            return std::nullopt;
        };
        auto is = [&](const char* name) {
            const QLatin1String option(name);
            return argument == option || argument.startsWith(QString(option) + QLatin1Char('='));
        };
        if (argument == QLatin1String("--")) {
            options.arguments += argv.mid(i + 1);
            break;
        }
        if (is("--data-dir") || is("--passphrase-file")) {
            const bool dataDir = is("--data-dir");
            const QString name =
                dataDir ? QStringLiteral("--data-dir") : QStringLiteral("--passphrase-file");
            auto value = takeValue(name);
            if (!value || value->isEmpty() || value->startsWith(QLatin1String("--"))) {
                return ParseError{QStringLiteral("%1 needs a value.").arg(name)};
            }
            (dataDir ? options.dataDir : options.passphraseFile) = *value;
        } else if (argument == QLatin1String("--json")) {
            options.json = true;
        } else if (argument == QLatin1String("--demo")) {
            options.demo = true;
        } else if (argument == QLatin1String("--help") || argument == QLatin1String("-h")) {
            options.help = true;
        } else if (argument == QLatin1String("--version") || argument == QLatin1String("-V")) {
            options.version = true;
        } else if (options.command.isEmpty() && !argument.startsWith(QLatin1Char('-'))) {
            options.command = argument;
        } else {
            options.arguments.append(argument);
        }
    }
    if (options.command.isEmpty()) {
        options.command = QStringLiteral("gui");
    }
    return options;
}

QString resolveDataDir(const GlobalOptions& options)
{
    QString base = options.dataDir;
    if (base.isEmpty()) {
        base = qEnvironmentVariable("L402_WALLET_HOME");
    }
    if (base.isEmpty()) {
        base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
               QStringLiteral("/l402-wallet");
    }
    if (options.demo) {
        base += QStringLiteral("/demo");
    }
    return QDir::cleanPath(QDir(base).absolutePath());
}

QString usageText()
{
    return QStringLiteral(
        "Usage: l402-wallet [COMMAND] [OPTIONS]\n"
        "\n"
        "A wallet agent that lets AI agents pay for L402 APIs within your budgets.\n"
        "\n"
        "Commands (owner: asks the owner for proof, see 'Who may do what' below):\n"
        "  gui                     Open the window, tray and local proxy (the default)\n"
        "  serve [--listen HOST:PORT] [--bypass HOST]... [--upstream-ca FILE]\n"
        "        [--trust-same-user]\n"
        "                          Run headless: proxy and control socket, no window;\n"
        "                          --bypass: HTTPS to HOST (or *.domain) is never\n"
        "                          intercepted; --upstream-ca: extra CAs for upstream HTTPS;\n"
        "                          --trust-same-user: owner commands need no proof (only on\n"
        "                          a machine without agents)\n"
        "  run [--agent NAME] [--agent-file FILE] [--only-proxy] [--hide PATH]...\n"
        "        [--write PATH]... -- COMMAND...\n"
        "                          Start an agent in a sandbox (bubblewrap) that sees the\n"
        "                          proxy but not the wallet's files, socket or keyring;\n"
        "                          --only-proxy: no network but the wallet's proxy\n"
        "  decode [--json] INPUT   Decode a BOLT 11 invoice, a macaroon or a\n"
        "                          WWW-Authenticate challenge, offline\n"
        "  node set lnd --url URL --macaroon FILE [--cert FILE]\n"
        "  node set cln --url URL --rune-file FILE [--cert FILE]\n"
        "  node set lnbits --url URL --admin-key-file FILE\n"
        "  node set phoenixd --url URL --password-file FILE\n"
        "  node set --uri-file FILE (lndconnect:// or nostr+walletconnect://)\n"
        "                          Set the Lightning node payments go through (owner);\n"
        "                          FILE - reads the secret from standard input\n"
        "  node show|test|balance  Show the node settings (secrets hidden), test the\n"
        "                          connection, or show the spendable balance\n"
        "  fetch [-o FILE] [-q] [-X METHOD] [-d DATA] [-H 'Name: value'] [--agent-file FILE]\n"
        "        [--max-cost SATS] [--max-fee SATS] [--no-pay] URL\n"
        "                          Fetch a URL as an agent (L402_WALLET_AGENT=name:secret),\n"
        "                          paying its L402 price within that agent's budgets\n"
        "                          (exit 2: over max cost, 3: payment failed, 4: network)\n"
        "  mcp [--agent-file FILE] MCP server on stdio (tools: fetch, budget_status,\n"
        "                          list_tokens, decode) for an agent (L402_WALLET_AGENT)\n"
        "  history [--limit N]     Payments, newest first\n"
        "  tokens [remove ORIGIN]  Bought tokens, or forget the tokens of a site (owner)\n"
        "  budget set PATTERN [--agent NAME] [--max-payment SATS] [--daily SATS]\n"
        "        [--weekly SATS] [--monthly SATS] [--mode auto|ask|block] [--ask-above SATS]\n"
        "  budget list | budget remove PATTERN [--agent NAME]\n"
        "                          Spending rules (PATTERN: host, host:port, *.domain, *);\n"
        "                          set and remove are owner commands\n"
        "  approvals | approve ID [--remember once|1h|session|always] | deny ID\n"
        "                          Answer payments waiting for approval (needs a running\n"
        "                          wallet: serve or the window); approve is an owner command\n"
        "  agent add NAME | agent list | agent remove NAME | agent pause|resume NAME\n"
        "                          Agent credentials (the secret is shown once); add, remove\n"
        "                          and resume are owner commands\n"
        "  pause | resume          Stop every payment at once (anyone may), or let them go\n"
        "                          on again (owner)\n"
        "  owner-pin set           Set the owner PIN (keychain wallets: the headless proof)\n"
        "  env [--agent NAME]      Shell exports that point an agent at the wallet\n"
        "  ca export [FILE]        The wallet's CA certificate (owner)\n"
        "\n"
        "Who may do what: an agent proves itself with L402_WALLET_AGENT (or --agent-file) and\n"
        "spends only as itself. An owner command over a running wallet is confirmed in the\n"
        "window, or by the wallet passphrase or owner PIN typed on this terminal (never read\n"
        "from a pipe, a file or the environment). Pausing and denying need no proof.\n"
        "\n"
        "Options for every command:\n"
        "  --data-dir DIR          Data folder (env L402_WALLET_HOME)\n"
        "  --passphrase-file FILE  Unlock with a passphrase instead of the OS keychain\n"
        "                          (env L402_WALLET_PASSPHRASE)\n"
        "  --demo                  Demo node with simulated funds, in its own data folder\n"
        "  --json                  Machine-readable output for data commands\n"
        "  -h, --help              Show this help\n"
        "  -V, --version           Show the version\n");
}

} // namespace l402::app
