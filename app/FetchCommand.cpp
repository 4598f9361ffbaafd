// `l402-wallet fetch`: curl-like, paying through the wallet's budgets and approvals, with
// lnget's exit codes (0 ok, 1 error, 2 over max cost, 3 payment failed, 4 network).

#include "app/Commands.h"
#include "app/WalletSession.h"
#include "core/payments/PaidFetcher.h"
#include "core/payments/RefusalCodes.h"
#include "core/util/Money.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSaveFile>

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace l402::app {
namespace {

enum FetchExit : int { kOverMaxCost = 2, kPaymentFailed = 3, kNetwork = 4 };

struct FetchOptions {
    payments::FetchRequest request;
    QString output;    // -o
    QString agentFile; // --agent-file: the credential, instead of L402_WALLET_AGENT
    bool quiet = false;
    bool methodGiven = false;
};

Result<FetchOptions> parseFetch(const QStringList& arguments)
{
    using R = Result<FetchOptions>;
    FetchOptions options;
    QString url;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString& argument = arguments.at(i);
        auto value = [&]() -> std::optional<QString> {
            if (i + 1 < arguments.size()) {
                return arguments.at(++i);
            }
            return std::nullopt;
        };
        if (argument == QLatin1String("-q") || argument == QLatin1String("--quiet")) {
            options.quiet = true;
        } else if (argument == QLatin1String("--no-pay")) {
            options.request.noPay = true;
        } else if (argument == QLatin1String("-o") || argument == QLatin1String("--output") ||
                   argument == QLatin1String("-X") || argument == QLatin1String("--request") ||
                   argument == QLatin1String("-d") || argument == QLatin1String("--data") ||
                   argument == QLatin1String("-H") || argument == QLatin1String("--header") ||
                   argument == QLatin1String("--max-cost") ||
                   argument == QLatin1String("--max-fee") ||
                   argument == QLatin1String("--agent-file")) {
            const auto given = value();
            if (!given) {
                return R(usage(QStringLiteral("%1 needs a value.").arg(argument)));
            }
            if (argument == QLatin1String("-o") || argument == QLatin1String("--output")) {
                options.output = *given;
            } else if (argument == QLatin1String("-X") || argument == QLatin1String("--request")) {
                options.request.method = given->toUpper().toLatin1();
                options.methodGiven = true;
            } else if (argument == QLatin1String("-d") || argument == QLatin1String("--data")) {
                if (given->startsWith(u'@')) {
                    QFile file(given->mid(1));
                    if (!file.open(QIODevice::ReadOnly)) {
                        return R::failure(QStringLiteral("file"),
                                          QStringLiteral("Cannot read %1.").arg(given->mid(1)));
                    }
                    options.request.body = file.readAll();
                } else {
                    options.request.body = given->toUtf8();
                }
                if (!options.methodGiven) {
                    options.request.method = "POST";
                }
            } else if (argument == QLatin1String("-H") || argument == QLatin1String("--header")) {
                const qsizetype colon = given->indexOf(u':');
                if (colon <= 0) {
                    return R(usage(QStringLiteral("-H takes \"Name: value\".")));
                }
                options.request.headers.append({given->left(colon).trimmed().toLatin1(),
                                                given->mid(colon + 1).trimmed().toUtf8()});
            } else if (argument == QLatin1String("--agent-file")) {
                options.agentFile = *given;
            } else {
                const auto msat = parseSatsToMsat(*given);
                if (!msat) {
                    return R(
                        usage(QStringLiteral("%1 takes a whole number of sats.").arg(argument)));
                }
                (argument == QLatin1String("--max-cost") ? options.request.maxCostMsat
                                                         : options.request.maxFeeMsat) = msat;
            }
        } else if (argument == QLatin1String("--agent")) {
            // A name alone proves nothing: anyone could spend as any agent with it.
            return R(usage(QStringLiteral("fetch acts as the agent whose credential it has: set "
                                          "L402_WALLET_AGENT=name:secret (what 'agent add' "
                                          "printed) or give --agent-file FILE.")));
        } else if (argument.startsWith(u'-')) {
            return R(usage(QStringLiteral("fetch does not know the option %1.").arg(argument)));
        } else if (url.isEmpty()) {
            url = argument;
        } else {
            return R(usage(QStringLiteral("fetch takes one URL.")));
        }
    }
    if (url.isEmpty()) {
        return R(usage(QStringLiteral("fetch needs a URL.")));
    }
    options.request.url = QUrl(url, QUrl::StrictMode);
    if (!options.request.url.isValid() ||
        (options.request.url.scheme() != QLatin1String("http") &&
         options.request.url.scheme() != QLatin1String("https"))) {
        return R(usage(QStringLiteral("\"%1\" is not an http or https URL.").arg(url)));
    }
    return options;
}

int exitCodeFor(const QString& code)
{
    if (code == QLatin1String("usage")) {
        return kExitUsage;
    }
    // lnget's mapping from the one table (payments/RefusalCodes): 2 over a cost or budget,
    // 3 refused or failed, 4 network, 1 the wallet's own error.
    return payments::fetchExitForRefusal(code);
}

void writeStdout(const QByteArray& bytes)
{
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

// curl's progress meter, for a download to a file (or a pipe) while a person watches the
// terminal: one line on stderr, redrawn at most ten times a second.
class ProgressBar {
public:
    static bool wanted(const FetchOptions& options, const GlobalOptions& global)
    {
        return !options.quiet && !global.json && ::isatty(STDERR_FILENO) &&
               (!options.output.isEmpty() || !::isatty(STDOUT_FILENO));
    }

    void update(qint64 received, qint64 total)
    {
        if (!m_clock.isValid()) {
            m_clock.start();
        }
        m_received = received;
        m_total = total;
        if (m_lastDraw.isValid() && m_lastDraw.elapsed() < 100 && received != total) {
            return;
        }
        m_lastDraw.start();
        draw();
    }

    void finish()
    {
        if (m_clock.isValid()) {
            draw();
            std::fputc('\n', stderr);
        }
    }

private:
    static QString size(double bytes)
    {
        static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (bytes >= 1024.0 && unit < 4) {
            bytes /= 1024.0;
            ++unit;
        }
        return QStringLiteral("%1 %2")
            .arg(bytes, 0, 'f', unit == 0 ? 0 : 1)
            .arg(QLatin1String(units[unit]));
    }

    void draw()
    {
        const double seconds = std::max<double>(0.001, double(m_clock.elapsed()) / 1000.0);
        const QString rate = size(double(m_received) / seconds) + QStringLiteral("/s");
        QString line;
        if (m_total > 0) {
            winsize window{};
            const int columns =
                ::ioctl(STDERR_FILENO, TIOCGWINSZ, &window) == 0 && window.ws_col > 0
                    ? window.ws_col
                    : 80;
            const QString figures = QStringLiteral(" %1%  %2 / %3  %4")
                                        .arg(m_received * 100 / m_total, 3)
                                        .arg(size(double(m_received)), size(double(m_total)), rate);
            const int width = std::clamp(columns - int(figures.size()) - 3, 10, 50);
            const int filled = int(m_received * width / m_total);
            line = u'[' + QString(filled, u'#') + QString(width - filled, u'.') + u']' + figures;
        } else {
            line = QStringLiteral("%1  %2").arg(size(double(m_received)), rate);
        }
        const QByteArray bytes = "\r" + line.toUtf8() + "\x1b[K";
        std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
        std::fflush(stderr);
    }

    QElapsedTimer m_clock;
    QElapsedTimer m_lastDraw;
    qint64 m_received = 0;
    qint64 m_total = -1;
};

void note(const FetchOptions& options, const QString& text)
{
    if (!options.quiet) {
        const QByteArray line = text.toUtf8() + '\n';
        std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    }
}

} // namespace

int runFetch(const GlobalOptions& options)
{
    auto parsed = parseFetch(options.arguments);
    if (!parsed) {
        return reportError(options, parsed.error(), exitCodeFor(parsed.error().code));
    }
    FetchOptions fetch = parsed.value();
    const auto credential = agentCredentialFrom(fetch.agentFile);
    if (!credential) {
        return reportError(options, credential.error());
    }
    std::unique_ptr<QNetworkAccessManager> network;
    std::unique_ptr<payments::PaidFetcher> fetcher;
    QElapsedTimer elapsed;
    ProgressBar progress;
    return runWithWalletAccess(
        options, credential.value(), [&](WalletAccess& access, std::function<void(int)> finish) {
            fetch.request.agent = access.agent;
            network = std::make_unique<QNetworkAccessManager>();
            fetcher = std::make_unique<payments::PaidFetcher>(access.payments, *network);
            if (ProgressBar::wanted(fetch, options)) {
                fetcher->setProgressListener(
                    [&](qint64 received, qint64 total) { progress.update(received, total); });
            }
            elapsed.start();
            fetcher->fetch(fetch.request, [&, finish](Result<payments::FetchResponse> result) {
                progress.finish();
                if (!result) {
                    finish(reportError(options, result.error(), exitCodeFor(result.error().code)));
                    return;
                }
                const payments::FetchResponse& response = result.value();
                if (response.payment) {
                    note(fetch,
                         QStringLiteral("Paid %1 (fee %2) to %3.")
                             .arg(formatMsatAsSat(
                                      static_cast<uint64_t>(response.payment->amountMsat)),
                                  formatMsatAsSat(static_cast<uint64_t>(response.payment->feeMsat)),
                                  policy::Origin::fromUrl(fetch.request.url)->toString()));
                }
                if (!fetch.output.isEmpty()) {
                    QSaveFile file(fetch.output);
                    if (!file.open(QIODevice::WriteOnly) ||
                        file.write(response.body) != response.body.size() || !file.commit()) {
                        finish(reportError(
                            options, Error{QStringLiteral("file"),
                                           QStringLiteral("Cannot write %1.").arg(fetch.output)}));
                        return;
                    }
                }
                if (options.json) {
                    QJsonObject out{{QStringLiteral("url"), fetch.request.url.toString()},
                                    {QStringLiteral("status"), response.status},
                                    {QStringLiteral("size"), qint64(response.body.size())},
                                    {QStringLiteral("duration_ms"), elapsed.elapsed()}};
                    if (response.payment) {
                        out.insert(QStringLiteral("payment"),
                                   QJsonObject{{QStringLiteral("amount_sat"),
                                                double(response.payment->amountMsat) / 1000.0},
                                               {QStringLiteral("fee_sat"),
                                                double(response.payment->feeMsat) / 1000.0},
                                               {QStringLiteral("payment_hash"),
                                                QString::fromLatin1(
                                                    response.payment->paymentHash.toHex())}});
                    } else {
                        out.insert(QStringLiteral("payment"), QJsonValue());
                    }
                    if (response.priceMsat) {
                        out.insert(QStringLiteral("price_sat"),
                                   double(*response.priceMsat) / 1000.0);
                    }
                    printJson(out);
                } else if (fetch.output.isEmpty() && !fetch.request.noPay) {
                    writeStdout(response.body);
                }
                if (fetch.request.noPay && response.status == 402) {
                    const QString price =
                        response.priceMsat
                            ? formatMsatAsSat(static_cast<uint64_t>(*response.priceMsat))
                            : QStringLiteral("an unknown amount");
                    if (!options.json) {
                        writeStdout(QStringLiteral("%1 asks for %2 (not paid: "
                                                   "--no-pay).\n")
                                        .arg(fetch.request.url.toString(), price)
                                        .toUtf8());
                    }
                    finish(kExitOk);
                    return;
                }
                if (response.status >= 400) {
                    note(fetch,
                         QStringLiteral("The server answered HTTP %1.").arg(response.status));
                    finish(kExitError);
                    return;
                }
                finish(kExitOk);
            });
        });
}

} // namespace l402::app
