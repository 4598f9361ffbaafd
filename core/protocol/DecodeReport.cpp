#include "core/protocol/DecodeReport.h"

#include "core/protocol/Challenge.h"
#include "core/util/Money.h"
#include "core/util/TerminalText.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QStringDecoder>

#include <algorithm>
#include <cstring>

namespace l402::protocol {
namespace {

QJsonValue hexOrNull(const QByteArray& bytes)
{
    return bytes.isEmpty() ? QJsonValue(QJsonValue::Null)
                           : QJsonValue(QString::fromLatin1(bytes.toHex()));
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

// Caveat ids are usually ASCII predicates; binary ones are shown as hex.
QString caveatIdText(const QByteArray& id)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(id);
    const bool printable = std::all_of(
        text.begin(), text.end(), [](QChar c) { return c.isPrint() || c == QLatin1Char('\t'); });
    return decoder.hasError() || !printable ? hex(id) : text;
}

} // namespace

QJsonObject invoiceToJson(const Invoice& invoice)
{
    QJsonArray features;
    for (const int bit : invoice.features) {
        features.append(bit);
    }
    QJsonArray routeHints;
    for (const RouteHint& hint : invoice.routeHints) {
        QJsonArray hops;
        for (const RouteHintHop& hop : hint) {
            hops.append(QJsonObject{
                {QStringLiteral("pubkey"), hex(hop.pubkey)},
                {QStringLiteral("short_channel_id"), hop.shortChannelIdText()},
                {QStringLiteral("fee_base_msat"), qint64(hop.feeBaseMsat)},
                {QStringLiteral("fee_proportional_millionths"),
                 qint64(hop.feeProportionalMillionths)},
                {QStringLiteral("cltv_expiry_delta"), int(hop.cltvExpiryDelta)},
            });
        }
        routeHints.append(hops);
    }
    QJsonArray fallbacks;
    for (const FallbackAddress& fallback : invoice.fallbackAddresses) {
        fallbacks.append(fallback.address);
    }
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("bolt11")},
        {QStringLiteral("network"), networkName(invoice.network)},
        {QStringLiteral("amount_msat"), invoice.amountMsat ? QJsonValue(qint64(*invoice.amountMsat))
                                                           : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("timestamp"), qint64(invoice.timestamp)},
        {QStringLiteral("expiry"), qint64(invoice.expirySeconds)},
        {QStringLiteral("payment_hash"), hex(invoice.paymentHash)},
        {QStringLiteral("payment_secret"), hexOrNull(invoice.paymentSecret)},
        {QStringLiteral("description"),
         invoice.description ? QJsonValue(*invoice.description) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("description_hash"), hexOrNull(invoice.descriptionHash)},
        {QStringLiteral("payee"), hex(invoice.payee)},
        {QStringLiteral("min_final_cltv_expiry"), qint64(invoice.minFinalCltvExpiry)},
        {QStringLiteral("features"), features},
        {QStringLiteral("route_hints"), routeHints},
        {QStringLiteral("fallback_addresses"), fallbacks},
    };
}

QJsonObject macaroonToJson(const Macaroon& macaroon)
{
    QJsonArray caveats;
    for (const Caveat& caveat : macaroon.caveats()) {
        caveats.append(QJsonObject{
            {QStringLiteral("id"), caveatIdText(caveat.id)},
            {QStringLiteral("location"), caveat.location.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                   : QJsonValue(caveat.location)},
            {QStringLiteral("vid_hex"), hexOrNull(caveat.verificationId)},
        });
    }
    QJsonValue l402(QJsonValue::Null);
    if (auto identifier = L402Identifier::parse(macaroon.identifier())) {
        l402 = QJsonObject{
            {QStringLiteral("version"), int(identifier->version)},
            {QStringLiteral("payment_hash"), hex(identifier->paymentHash)},
            {QStringLiteral("token_id"), hex(identifier->tokenId)},
        };
    }
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("macaroon")},
        {QStringLiteral("version"), macaroon.sourceFormat() == Macaroon::Format::V1 ? 1 : 2},
        {QStringLiteral("location"), macaroon.location()},
        {QStringLiteral("identifier_hex"), hex(macaroon.identifier())},
        {QStringLiteral("l402"), l402},
        {QStringLiteral("caveats"), caveats},
        {QStringLiteral("signature"), hex(macaroon.signature())},
    };
}

Result<std::pair<InputKind, QJsonObject>> decodeAnything(QStringView input)
{
    using R = Result<std::pair<InputKind, QJsonObject>>;
    const QStringView text = input.trimmed();
    if (text.isEmpty()) {
        return R::failure(QStringLiteral("empty_input"), QStringLiteral("Nothing to decode."));
    }
    const bool looksLikeInvoice = text.startsWith(QLatin1String("ln"), Qt::CaseInsensitive) ||
                                  text.startsWith(QLatin1String("lightning:"), Qt::CaseInsensitive);
    const bool looksLikeChallenge =
        text.contains(QLatin1Char(' ')) || text.contains(QLatin1Char('"'));
    if (looksLikeInvoice && !looksLikeChallenge) {
        auto invoice = decodeInvoice(text);
        if (!invoice) {
            return R(invoice.error());
        }
        return std::pair{InputKind::Invoice, invoiceToJson(invoice.value())};
    }
    if (!looksLikeChallenge) {
        auto macaroon = Macaroon::fromBase64(text.toLatin1());
        if (!macaroon) {
            return R::failure(QStringLiteral("unrecognized_input"),
                              QStringLiteral("The input is neither a BOLT 11 invoice, a "
                                             "macaroon nor a challenge: %1")
                                  .arg(macaroon.error().message));
        }
        return std::pair{InputKind::Macaroon, macaroonToJson(macaroon.value())};
    }

    QString headerValue = text.toString();
    if (headerValue.startsWith(QLatin1String("WWW-Authenticate:"), Qt::CaseInsensitive)) {
        headerValue = headerValue.mid(int(strlen("WWW-Authenticate:"))).trimmed();
    }
    const ParsedChallenges parsed = parseChallenges({headerValue.toUtf8()});
    QJsonArray challenges;
    auto decodedInvoice = [](const QString& invoiceText) -> QJsonValue {
        auto invoice = decodeInvoice(invoiceText);
        if (!invoice) {
            return QJsonObject{{QStringLiteral("error"),
                                QJsonObject{{QStringLiteral("code"), invoice.error().code},
                                            {QStringLiteral("message"), invoice.error().message}}}};
        }
        return invoiceToJson(invoice.value());
    };
    for (const L402Challenge& challenge : parsed.l402) {
        QJsonObject entry{
            {QStringLiteral("scheme"), challenge.scheme},
            {QStringLiteral("params"), QJsonObject{{QStringLiteral("macaroon"),
                                                    QString::fromLatin1(challenge.macaroonBase64)},
                                                   {QStringLiteral("invoice"), challenge.invoice}}},
            {QStringLiteral("invoice"), decodedInvoice(challenge.invoice)},
        };
        if (auto macaroon = Macaroon::fromBase64(challenge.macaroonBase64)) {
            entry.insert(QStringLiteral("macaroon"), macaroonToJson(macaroon.value()));
        } else {
            entry.insert(
                QStringLiteral("macaroon"),
                QJsonObject{{QStringLiteral("error"),
                             QJsonObject{{QStringLiteral("code"), macaroon.error().code},
                                         {QStringLiteral("message"), macaroon.error().message}}}});
        }
        challenges.append(entry);
    }
    for (const PaymentChallenge& challenge : parsed.payment) {
        QJsonObject params{
            {QStringLiteral("id"), challenge.id},
            {QStringLiteral("realm"), challenge.realm},
            {QStringLiteral("method"), challenge.method},
            {QStringLiteral("intent"), challenge.intent},
            {QStringLiteral("request"), challenge.request},
        };
        QJsonObject entry{{QStringLiteral("scheme"), QStringLiteral("Payment")},
                          {QStringLiteral("params"), params}};
        if (!challenge.invoice.isEmpty()) {
            entry.insert(QStringLiteral("invoice"), decodedInvoice(challenge.invoice));
        }
        challenges.append(entry);
    }
    if (challenges.isEmpty()) {
        const QString reason = parsed.problems.isEmpty()
                                   ? QStringLiteral("it holds no L402, LSAT or Payment challenge")
                                   : parsed.problems.first().message;
        return R::failure(QStringLiteral("invalid_challenge"),
                          QStringLiteral("The challenge cannot be used: %1").arg(reason));
    }
    return std::pair{InputKind::Challenge,
                     QJsonObject{{QStringLiteral("type"), QStringLiteral("challenge")},
                                 {QStringLiteral("challenges"), challenges}}};
}

namespace {

QString formatMsat(const QJsonValue& amount)
{
    if (amount.isNull()) {
        return QStringLiteral("any amount (none set)");
    }
    return formatMsatAsSat(static_cast<uint64_t>(amount.toInteger()));
}

// "label      value", or just the label as a heading when there is no value.
// "label      value", or just the label as a heading when there is no value. Values come
// from untrusted invoices and macaroons, so they are escaped for the terminal.
QString labelled(const QString& indent, const QString& label, const QString& value)
{
    if (value.isEmpty()) {
        return indent + label + QLatin1Char('\n');
    }
    return indent + label.leftJustified(22) + escapeForTerminal(value) + QLatin1Char('\n');
}

void describeInvoice(QString& out, const QJsonObject& invoice, const QString& indent)
{
    auto line = [&](const QString& label, const QString& value) {
        out += labelled(indent, label, value);
    };
    if (invoice.contains(QStringLiteral("error"))) {
        line(QStringLiteral("invoice error"), invoice.value(QStringLiteral("error"))
                                                  .toObject()
                                                  .value(QStringLiteral("message"))
                                                  .toString());
        return;
    }
    const qint64 timestamp = invoice.value(QStringLiteral("timestamp")).toInteger();
    const qint64 expiry = invoice.value(QStringLiteral("expiry")).toInteger();
    line(QStringLiteral("Invoice (BOLT 11)"), QString());
    line(QStringLiteral("  network"), invoice.value(QStringLiteral("network")).toString());
    line(QStringLiteral("  amount"), formatMsat(invoice.value(QStringLiteral("amount_msat"))));
    const QJsonValue description = invoice.value(QStringLiteral("description"));
    if (!description.isNull()) {
        line(QStringLiteral("  description"), description.toString());
    }
    const QJsonValue descriptionHash = invoice.value(QStringLiteral("description_hash"));
    if (!descriptionHash.isNull()) {
        line(QStringLiteral("  description hash"), descriptionHash.toString());
    }
    line(QStringLiteral("  created"),
         QDateTime::fromSecsSinceEpoch(timestamp, Qt::UTC).toString(Qt::ISODate));
    line(QStringLiteral("  expires"),
         QDateTime::fromSecsSinceEpoch(timestamp + expiry, Qt::UTC).toString(Qt::ISODate) +
             QStringLiteral(" (after %1 s)").arg(expiry));
    line(QStringLiteral("  payment hash"),
         invoice.value(QStringLiteral("payment_hash")).toString());
    const QJsonValue secret = invoice.value(QStringLiteral("payment_secret"));
    line(QStringLiteral("  payment secret"),
         secret.isNull() ? QStringLiteral("(none)") : secret.toString());
    line(QStringLiteral("  payee"), invoice.value(QStringLiteral("payee")).toString());
    line(QStringLiteral("  min final cltv"),
         QString::number(invoice.value(QStringLiteral("min_final_cltv_expiry")).toInteger()));
    QStringList features;
    for (const QJsonValue bit : invoice.value(QStringLiteral("features")).toArray()) {
        features.append(QString::number(bit.toInt()));
    }
    if (!features.isEmpty()) {
        line(QStringLiteral("  feature bits"), features.join(QStringLiteral(", ")));
    }
    const QJsonArray hints = invoice.value(QStringLiteral("route_hints")).toArray();
    for (qsizetype i = 0; i < hints.size(); ++i) {
        for (const QJsonValue hopValue : hints.at(i).toArray()) {
            const QJsonObject hop = hopValue.toObject();
            line(QStringLiteral("  route hint %1").arg(i + 1),
                 QStringLiteral("%1 via %2, fee %3 msat + %4 ppm, cltv delta %5")
                     .arg(hop.value(QStringLiteral("pubkey")).toString(),
                          hop.value(QStringLiteral("short_channel_id")).toString())
                     .arg(hop.value(QStringLiteral("fee_base_msat")).toInteger())
                     .arg(hop.value(QStringLiteral("fee_proportional_millionths")).toInteger())
                     .arg(hop.value(QStringLiteral("cltv_expiry_delta")).toInt()));
        }
    }
    for (const QJsonValue address : invoice.value(QStringLiteral("fallback_addresses")).toArray()) {
        line(QStringLiteral("  fallback address"), address.toString());
    }
}

void describeMacaroon(QString& out, const QJsonObject& macaroon, const QString& indent)
{
    auto line = [&](const QString& label, const QString& value) {
        out += labelled(indent, label, value);
    };
    if (macaroon.contains(QStringLiteral("error"))) {
        line(QStringLiteral("macaroon error"), macaroon.value(QStringLiteral("error"))
                                                   .toObject()
                                                   .value(QStringLiteral("message"))
                                                   .toString());
        return;
    }
    line(QStringLiteral("Macaroon"),
         QStringLiteral("(V%1)").arg(macaroon.value(QStringLiteral("version")).toInt()));
    const QString location = macaroon.value(QStringLiteral("location")).toString();
    line(QStringLiteral("  location"), location.isEmpty() ? QStringLiteral("(none)") : location);
    line(QStringLiteral("  identifier"),
         macaroon.value(QStringLiteral("identifier_hex")).toString());
    const QJsonValue l402 = macaroon.value(QStringLiteral("l402"));
    if (l402.isObject()) {
        line(QStringLiteral("  L402 payment hash"),
             l402.toObject().value(QStringLiteral("payment_hash")).toString());
        line(QStringLiteral("  L402 token id"),
             l402.toObject().value(QStringLiteral("token_id")).toString());
    }
    for (const QJsonValue caveatValue : macaroon.value(QStringLiteral("caveats")).toArray()) {
        const QJsonObject caveat = caveatValue.toObject();
        const QJsonValue caveatLocation = caveat.value(QStringLiteral("location"));
        line(QStringLiteral("  caveat"),
             caveat.value(QStringLiteral("id")).toString() +
                 (caveatLocation.isNull()
                      ? QString()
                      : QStringLiteral("  (third party: %1)").arg(caveatLocation.toString())));
    }
    line(QStringLiteral("  signature"), macaroon.value(QStringLiteral("signature")).toString());
}

} // namespace

QString describeForHumans(InputKind kind, const QJsonObject& decoded)
{
    QString out;
    switch (kind) {
    case InputKind::Invoice:
        describeInvoice(out, decoded, QString());
        break;
    case InputKind::Macaroon:
        describeMacaroon(out, decoded, QString());
        break;
    case InputKind::Challenge: {
        const QJsonArray challenges = decoded.value(QStringLiteral("challenges")).toArray();
        for (qsizetype i = 0; i < challenges.size(); ++i) {
            const QJsonObject challenge = challenges.at(i).toObject();
            out += QStringLiteral("Challenge %1: %2\n")
                       .arg(i + 1)
                       .arg(challenge.value(QStringLiteral("scheme")).toString());
            if (challenge.contains(QStringLiteral("macaroon"))) {
                describeMacaroon(out, challenge.value(QStringLiteral("macaroon")).toObject(),
                                 QStringLiteral("  "));
            }
            if (challenge.contains(QStringLiteral("invoice"))) {
                describeInvoice(out, challenge.value(QStringLiteral("invoice")).toObject(),
                                QStringLiteral("  "));
            }
        }
        break;
    }
    }
    return out;
}

} // namespace l402::protocol
