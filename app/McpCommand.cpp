// `l402-wallet mcp`: a Model Context Protocol server on stdio (JSON-RPC 2.0, one message per
// line) so an agent can fetch paid resources through the wallet without holding one. Spending
// follows the user's budgets and approvals exactly as through the proxy.

#include "app/Commands.h"
#include "app/WalletSession.h"
#include "core/payments/PaidFetcher.h"
#include "core/payments/RefusalCodes.h"
#include "core/protocol/DecodeReport.h"
#include "core/protocol/Macaroon.h"
#include "core/util/Money.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSocketNotifier>

#include <cstdio>
#include <unistd.h>

namespace l402::app {
namespace {

// MCP revisions this server speaks, newest first.
const QStringList kProtocolVersions = {QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26"),
                                       QStringLiteral("2024-11-05")};
// A tool result carries at most this much of a response body as text.
constexpr qsizetype kMaxBodyText = 100 * 1024;

void send(const QJsonObject& message)
{
    const QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
    std::fflush(stdout);
}

void reply(const QJsonValue& id, const QJsonValue& result)
{
    send(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                     {QStringLiteral("id"), id},
                     {QStringLiteral("result"), result}});
}

void replyError(const QJsonValue& id, int code, const QString& message)
{
    send(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                     {QStringLiteral("id"), id},
                     {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), code},
                                                           {QStringLiteral("message"), message}}}});
}

QJsonObject toolResult(const QJsonObject& structured, bool isError)
{
    return QJsonObject{
        {QStringLiteral("content"),
         QJsonArray{QJsonObject{
             {QStringLiteral("type"), QStringLiteral("text")},
             {QStringLiteral("text"),
              QString::fromUtf8(QJsonDocument(structured).toJson(QJsonDocument::Compact))}}}},
        {QStringLiteral("structuredContent"), structured},
        {QStringLiteral("isError"), isError}};
}

QJsonObject schema(const QJsonObject& properties, const QStringList& required)
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                       {QStringLiteral("properties"), properties},
                       {QStringLiteral("required"), QJsonArray::fromStringList(required)}};
}

QJsonArray toolList()
{
    const auto string = [](const char* description) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                           {QStringLiteral("description"), QLatin1String(description)}};
    };
    return QJsonArray{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("fetch")},
                    {QStringLiteral("description"),
                     QStringLiteral("Fetch an http(s) URL. When the server asks for an L402 "
                                    "payment, the wallet pays within the user's budgets (and "
                                    "asks the user when a rule says so) and retries.")},
                    {QStringLiteral("inputSchema"),
                     schema({{QStringLiteral("url"), string("The URL")},
                             {QStringLiteral("method"), string("HTTP method, GET by default")},
                             {QStringLiteral("headers"),
                              QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                                          {QStringLiteral("description"),
                                           QStringLiteral("Request headers")}}},
                             {QStringLiteral("body"), string("Request body")},
                             {QStringLiteral("max_cost_sats"),
                              QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                                          {QStringLiteral("description"),
                                           QStringLiteral("Refuse to pay more than this")}}}},
                            {QStringLiteral("url")})}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("budget_status")},
                    {QStringLiteral("description"),
                     QStringLiteral("The user's spending rules and how much of each is used.")},
                    {QStringLiteral("inputSchema"), schema({}, {})}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("list_tokens")},
                    {QStringLiteral("description"),
                     QStringLiteral("Tokens the wallet holds per site (no secrets).")},
                    {QStringLiteral("inputSchema"), schema({}, {})}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("decode")},
                    {QStringLiteral("description"),
                     QStringLiteral("Decode a BOLT 11 invoice, a macaroon or a "
                                    "WWW-Authenticate challenge, offline.")},
                    {QStringLiteral("inputSchema"),
                     schema({{QStringLiteral("input"), string("What to decode")}},
                            {QStringLiteral("input")})}},
    };
}

class McpServer {
public:
    McpServer(WalletAccess& access, std::function<void()> quit)
        : m_access(access)
        , m_fetcher(access.payments, m_network)
        , m_quit(std::move(quit))
    {
    }

    void onLine(const QByteArray& line)
    {
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(line, &error);
        if (!document.isObject()) {
            replyError(QJsonValue(), -32700, QStringLiteral("Parse error"));
            return;
        }
        const QJsonObject message = document.object();
        const QJsonValue id = message.value(QLatin1String("id"));
        const QString method = message.value(QLatin1String("method")).toString();
        const QJsonObject params = message.value(QLatin1String("params")).toObject();
        if (method.isEmpty()) {
            return; // a response to nothing we asked; ignored
        }
        const bool notification = !message.contains(QLatin1String("id"));
        if (notification) {
            return; // notifications/initialized, cancelled, ...: nothing to answer
        }
        if (method == QLatin1String("initialize")) {
            const QString asked = params.value(QLatin1String("protocolVersion")).toString();
            reply(id, QJsonObject{
                          {QStringLiteral("protocolVersion"),
                           kProtocolVersions.contains(asked) ? asked : kProtocolVersions.first()},
                          {QStringLiteral("capabilities"),
                           QJsonObject{{QStringLiteral("tools"),
                                        QJsonObject{{QStringLiteral("listChanged"), false}}}}},
                          {QStringLiteral("serverInfo"),
                           QJsonObject{{QStringLiteral("name"), QStringLiteral("l402-wallet")},
                                       {QStringLiteral("version"), QLatin1String(L402_VERSION)}}},
                          {QStringLiteral("instructions"),
                           QStringLiteral("Use the fetch tool for URLs that may ask for an L402 "
                                          "payment; the user's wallet decides and pays.")}});
        } else if (method == QLatin1String("ping")) {
            reply(id, QJsonObject{});
        } else if (method == QLatin1String("tools/list")) {
            reply(id, QJsonObject{{QStringLiteral("tools"), toolList()}});
        } else if (method == QLatin1String("tools/call")) {
            call(id, params.value(QLatin1String("name")).toString(),
                 params.value(QLatin1String("arguments")).toObject());
        } else {
            replyError(id, -32601, QStringLiteral("Method not found: %1").arg(method));
        }
    }

private:
    void call(const QJsonValue& id, const QString& name, const QJsonObject& arguments)
    {
        if (name == QLatin1String("fetch")) {
            fetch(id, arguments);
        } else if (name == QLatin1String("decode")) {
            const QString input = arguments.value(QLatin1String("input")).toString();
            auto decoded = protocol::decodeAnything(input);
            reply(id, decoded ? toolResult(decoded->second, false)
                              : toolResult(errorObject(decoded.error()), true));
        } else if (name == QLatin1String("list_tokens") || name == QLatin1String("budget_status")) {
            // The same data as `tokens --json` and `budget list --json`, from the wallet in use.
            const bool tokens = name == QLatin1String("list_tokens");
            auto data = tokens ? m_access.query(QStringLiteral("tokens"), {})
                               : m_access.query(QStringLiteral("budget"), {QStringLiteral("list")});
            if (data) {
                data = ownEntries(data.value(), tokens);
            }
            reply(id, data ? toolResult(QJsonObject{{tokens ? QStringLiteral("tokens")
                                                            : QStringLiteral("rules"),
                                                     data.value()}},
                                        false)
                           : toolResult(errorObject(data.error()), true));
        } else {
            replyError(id, -32602, QStringLiteral("Unknown tool: %1").arg(name));
        }
    }

    // This agent's view: its own tokens, and the rules that apply to it (its own and those for
    // every agent). Other agents' names, tokens and rules are not its business.
    QJsonValue ownEntries(const QJsonValue& list, bool tokens) const
    {
        QJsonArray out;
        for (const QJsonValue& entry : list.toArray()) {
            const QJsonValue agent = entry.toObject().value(QLatin1String("agent"));
            if (agent.toString() == m_access.agent || (!tokens && agent.isNull())) {
                out.append(entry);
            }
        }
        return out;
    }

    static QJsonObject errorObject(const Error& error)
    {
        return QJsonObject{
            {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                                  {QStringLiteral("message"), error.message}}}};
    }

    // A refused or failed fetch, with what it means for the agent from the one table of codes
    // (payments/RefusalCodes): the kind (over_limit, refused, failed, network, wallet,
    // request) and the status the proxy would answer.
    static QJsonObject refusalObject(const Error& error)
    {
        const auto entry = payments::findRefusalCode(error.code);
        return QJsonObject{
            {QStringLiteral("error"),
             QJsonObject{
                 {QStringLiteral("code"), error.code},
                 {QStringLiteral("message"), error.message},
                 {QStringLiteral("kind"),
                  payments::refusalKindName(entry ? entry->kind : payments::RefusalKind::Refused)},
                 {QStringLiteral("http_status"), payments::httpStatusForRefusal(error.code)}}}};
    }

    void fetch(const QJsonValue& id, const QJsonObject& arguments)
    {
        payments::FetchRequest request;
        request.url = QUrl(arguments.value(QLatin1String("url")).toString(), QUrl::StrictMode);
        request.method = arguments.value(QLatin1String("method"))
                             .toString(QStringLiteral("GET"))
                             .toUpper()
                             .toLatin1();
        request.body = arguments.value(QLatin1String("body")).toString().toUtf8();
        request.agent = m_access.agent;
        const QJsonObject headers = arguments.value(QLatin1String("headers")).toObject();
        for (auto it = headers.begin(); it != headers.end(); ++it) {
            request.headers.append({it.key().toLatin1(), it.value().toString().toUtf8()});
        }
        if (arguments.contains(QLatin1String("max_cost_sats"))) {
            // An agent's number: whole sats within all the bitcoin there is, else refused.
            const auto sats =
                wholeAmount(arguments.value(QLatin1String("max_cost_sats")), kMaxSats);
            if (!sats) {
                reply(id, toolResult(refusalObject(
                                         Error{QStringLiteral("bad_request"),
                                               QStringLiteral("max_cost_sats takes a whole number "
                                                              "of sats from 0 to %1.")
                                                   .arg(groupThousands(uint64_t(kMaxSats)))}),
                                     true));
                return;
            }
            request.maxCostMsat = satsToMsat(*sats);
        }
        m_fetcher.fetch(request, [id](Result<payments::FetchResponse> result) {
            if (!result) {
                reply(id, toolResult(refusalObject(result.error()), true));
                return;
            }
            const payments::FetchResponse& response = result.value();
            QJsonObject headersOut;
            for (const auto& [name, value] : response.headers) {
                headersOut.insert(QString::fromLatin1(name), QString::fromUtf8(value));
            }
            QJsonObject out{
                {QStringLiteral("status"), response.status},
                {QStringLiteral("headers"), headersOut},
                {QStringLiteral("body"), QString::fromUtf8(response.body.left(kMaxBodyText))}};
            if (response.body.size() > kMaxBodyText) {
                out.insert(QStringLiteral("note"),
                           QStringLiteral("The body was %1 bytes; the first %2 are shown.")
                               .arg(response.body.size())
                               .arg(kMaxBodyText));
            }
            if (response.payment) {
                out.insert(
                    QStringLiteral("payment"),
                    QJsonObject{
                        {QStringLiteral("amount_sat"),
                         double(response.payment->amountMsat) / 1000.0},
                        {QStringLiteral("fee_sat"), double(response.payment->feeMsat) / 1000.0},
                        {QStringLiteral("payment_hash"),
                         QString::fromLatin1(response.payment->paymentHash.toHex())}});
            }
            reply(id, toolResult(out, response.status >= 400));
        });
    }

    WalletAccess& m_access;
    QNetworkAccessManager m_network;
    payments::PaidFetcher m_fetcher;
    std::function<void()> m_quit;
};

} // namespace

int runMcp(const GlobalOptions& options)
{
    QString agentFile;
    if (options.arguments.size() == 2 && options.arguments.at(0) == QLatin1String("--agent-file")) {
        agentFile = options.arguments.at(1);
    } else if (!options.arguments.isEmpty()) {
        return reportError(options,
                           Error{QStringLiteral("usage"),
                                 QStringLiteral("mcp takes only [--agent-file FILE]; the agent "
                                                "credential may also come from "
                                                "L402_WALLET_AGENT.")},
                           kExitUsage);
    }
    const auto credential = agentCredentialFrom(agentFile);
    if (!credential) {
        return reportError(options, credential.error());
    }
    std::unique_ptr<McpServer> server;
    std::unique_ptr<QSocketNotifier> input;
    QByteArray buffer;
    return runWithWalletAccess(
        options, credential.value(), [&](WalletAccess& access, std::function<void(int)> finish) {
            server = std::make_unique<McpServer>(access, [finish] { finish(kExitOk); });
            input = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
            QObject::connect(input.get(), &QSocketNotifier::activated, input.get(), [&, finish] {
                char chunk[65536];
                const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
                if (got <= 0) {
                    input->setEnabled(false);
                    finish(kExitOk); // the client closed stdin: the session is over
                    return;
                }
                buffer.append(chunk, static_cast<qsizetype>(got));
                for (qsizetype end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
                    const QByteArray line = buffer.left(end).trimmed();
                    buffer.remove(0, end + 1);
                    if (!line.isEmpty()) {
                        server->onLine(line);
                    }
                }
            });
        });
}

} // namespace l402::app
