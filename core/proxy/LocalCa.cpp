#include "core/proxy/LocalCa.h"

#include "core/proxy/CurlMulti.h"
#include "core/store/DataDirectory.h"
#include "core/store/Settings.h"

#include <QFile>
#include <QHostAddress>
#include <QHostInfo>
#include <QMutexLocker>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace l402::proxy {
namespace {

struct EvpKeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using EvpKey = std::unique_ptr<EVP_PKEY, EvpKeyDeleter>;
using Certificate = std::unique_ptr<X509, X509Deleter>;
using Bio = std::unique_ptr<BIO, BioDeleter>;

QByteArray bioContents(BIO* bio)
{
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return QByteArray(data, static_cast<qsizetype>(length));
}

QByteArray certificateToPem(X509* certificate)
{
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), certificate);
    return bioContents(bio.get());
}

QByteArray keyToPem(EVP_PKEY* key)
{
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    return bioContents(bio.get());
}

bool randomSerial(X509* certificate)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        return false;
    }
    bytes[0] &= 0x7f; // positive
    BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(number, nullptr);
    const bool ok = serial && X509_set_serialNumber(certificate, serial) == 1;
    ASN1_INTEGER_free(serial);
    BN_free(number);
    return ok;
}

bool addExtension(X509* certificate, X509* issuer, int nid, const char* value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    if (!extension) {
        return false;
    }
    const bool ok = X509_add_ext(certificate, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

Status failure(const char* what)
{
    return Status::failure(
        QStringLiteral("local_ca"),
        QStringLiteral("The local certificate authority could not %1.").arg(QLatin1String(what)));
}

} // namespace

struct LocalCa::Keys {
    EvpKey caKey;
    Certificate caCertificate;
    EvpKey leafKey; // one key for every leaf, made per process (as mitmproxy does)
    QByteArray leafKeyPem;
};

LocalCa::LocalCa(const Clock& clock)
    : m_clock(clock)
    , m_keys(std::make_unique<Keys>())
{
}

LocalCa::~LocalCa() = default;

Result<std::shared_ptr<LocalCa>> LocalCa::createEphemeral(const Clock& clock)
{
    std::shared_ptr<LocalCa> ca(new LocalCa(clock));
    if (auto made = ca->generate(); !made) {
        return Result<std::shared_ptr<LocalCa>>(made.error());
    }
    return ca;
}

Result<std::shared_ptr<LocalCa>> LocalCa::loadOrCreate(store::Database& database,
                                                       const Clock& clock)
{
    using R = Result<std::shared_ptr<LocalCa>>;
    std::shared_ptr<LocalCa> ca(new LocalCa(clock));
    auto certificate = store::readSetting(database, QStringLiteral("ca_certificate"));
    auto key = store::readSetting(database, QStringLiteral("ca_private_key"));
    if (!certificate || !key) {
        return R(certificate ? key.error() : certificate.error());
    }
    if (!certificate->isEmpty() && !key->isEmpty()) {
        if (auto loaded = ca->load(certificate->toLatin1(), key->toLatin1()); !loaded) {
            return R(loaded.error());
        }
        return ca;
    }
    if (auto made = ca->generate(); !made) {
        return R(made.error());
    }
    auto transaction = store::Transaction::begin(database);
    if (!transaction) {
        return R(transaction.error());
    }
    for (const auto& [name, value] : {std::pair{"ca_certificate", ca->m_certificatePem},
                                      std::pair{"ca_private_key", ca->m_keyPem}}) {
        if (auto done = store::writeSetting(database, QString::fromLatin1(name),
                                            QString::fromLatin1(value));
            !done) {
            return R(done.error());
        }
    }
    if (auto committed = (*transaction)->commit(); !committed) {
        return R(committed.error());
    }
    return ca;
}

Status LocalCa::generate()
{
    m_keys->caKey.reset(EVP_EC_gen("P-256"));
    if (!m_keys->caKey) {
        return failure("make its key");
    }
    Certificate certificate(X509_new());
    X509* x = certificate.get();
    X509_set_version(x, 2);
    if (!randomSerial(x)) {
        return failure("draw a serial number");
    }
    const qint64 now = m_clock.nowSeconds();
    ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(now - kLeafBackdateDays * 86400));
    ASN1_TIME_set(X509_getm_notAfter(x),
                  static_cast<time_t>(now + qint64(kCaValidityDays) * 86400));
    X509_set_pubkey(x, m_keys->caKey.get());
    X509_NAME* name = X509_get_subject_name(x);
    const QByteArray commonName = QStringLiteral("L402 Wallet local CA (%1)")
                                      .arg(QHostInfo::localHostName())
                                      .toUtf8()
                                      .left(64);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("L402 Wallet"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(commonName.constData()), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    if (!addExtension(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !addExtension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !addExtension(x, x, NID_subject_key_identifier, "hash")) {
        return failure("write its extensions");
    }
    if (X509_sign(x, m_keys->caKey.get(), EVP_sha256()) == 0) {
        return failure("sign its certificate");
    }
    m_keys->caCertificate = std::move(certificate);
    m_certificatePem = certificateToPem(x);
    m_keyPem = keyToPem(m_keys->caKey.get());
    return load(m_certificatePem, m_keyPem);
}

Status LocalCa::load(const QByteArray& certificatePem, const QByteArray& keyPem)
{
    Bio certificateBio(
        BIO_new_mem_buf(certificatePem.constData(), static_cast<int>(certificatePem.size())));
    Bio keyBio(BIO_new_mem_buf(keyPem.constData(), static_cast<int>(keyPem.size())));
    m_keys->caCertificate.reset(PEM_read_bio_X509(certificateBio.get(), nullptr, nullptr, nullptr));
    m_keys->caKey.reset(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    if (!m_keys->caCertificate || !m_keys->caKey ||
        X509_check_private_key(m_keys->caCertificate.get(), m_keys->caKey.get()) != 1) {
        return failure("read its stored certificate and key");
    }
    m_certificatePem = certificatePem;
    m_keyPem = keyPem;
    m_keys->leafKey.reset(EVP_EC_gen("P-256"));
    if (!m_keys->leafKey) {
        return failure("make a key for its certificates");
    }
    m_keys->leafKeyPem = keyToPem(m_keys->leafKey.get());
    return success();
}

QString LocalCa::certificateFile(const QString& directory)
{
    return directory + QStringLiteral("/ca.pem");
}

QString LocalCa::bundleFile(const QString& directory)
{
    return directory + QStringLiteral("/ca-bundle.pem");
}

Status LocalCa::writeFiles(const QString& directory) const
{
    const QByteArray system = systemCaBundle();
    if (auto written =
            store::DataDirectory::writeFileAtomically(certificateFile(directory), m_certificatePem);
        !written) {
        return written;
    }
    QByteArray bundle = system;
    if (!bundle.isEmpty() && !bundle.endsWith('\n')) {
        bundle += '\n';
    }
    bundle += "# L402 Wallet local CA\n" + m_certificatePem;
    return store::DataDirectory::writeFileAtomically(bundleFile(directory), bundle);
}

Result<LocalCa::Leaf> LocalCa::leafFor(const QString& host)
{
    QMutexLocker locker(&m_mutex);
    const QString key = host.toLower();
    if (const auto cached = m_leaves.constFind(key); cached != m_leaves.constEnd()) {
        return cached.value();
    }
    auto issued = issue(key);
    if (issued) {
        m_leaves.insert(key, issued.value());
    }
    return issued;
}

Result<LocalCa::Leaf> LocalCa::issue(const QString& host)
{
    using R = Result<Leaf>;
    if (host.isEmpty() || host.size() > 253 || host.contains(u',') || host.contains(u'\n')) {
        return R::failure(QStringLiteral("local_ca"),
                          QStringLiteral("Not a host name: %1").arg(host));
    }
    Certificate certificate(X509_new());
    X509* x = certificate.get();
    X509_set_version(x, 2);
    if (!randomSerial(x)) {
        return R(failure("draw a serial number").error());
    }
    const qint64 now = m_clock.nowSeconds();
    ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(now - kLeafBackdateDays * 86400));
    ASN1_TIME_set(X509_getm_notAfter(x),
                  static_cast<time_t>(now + qint64(kLeafValidityDays) * 86400));
    X509_set_pubkey(x, m_keys->leafKey.get());
    const QByteArray commonName = host.toUtf8().left(64);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(commonName.constData()), -1,
                               -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(m_keys->caCertificate.get()));
    const bool isAddress = !QHostAddress(host).isNull();
    const QByteArray san = (isAddress ? QByteArray("IP:") : QByteArray("DNS:")) + host.toUtf8();
    if (!addExtension(x, m_keys->caCertificate.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !addExtension(x, m_keys->caCertificate.get(), NID_key_usage,
                      "critical,digitalSignature,keyEncipherment") ||
        !addExtension(x, m_keys->caCertificate.get(), NID_ext_key_usage, "serverAuth") ||
        !addExtension(x, m_keys->caCertificate.get(), NID_subject_alt_name, san.constData()) ||
        !addExtension(x, m_keys->caCertificate.get(), NID_subject_key_identifier, "hash") ||
        !addExtension(x, m_keys->caCertificate.get(), NID_authority_key_identifier,
                      "keyid:always")) {
        return R(failure("write a certificate's extensions").error());
    }
    if (X509_sign(x, m_keys->caKey.get(), EVP_sha256()) == 0) {
        return R(failure("sign a certificate").error());
    }
    Leaf leaf;
    leaf.certificate = QSslCertificate(certificateToPem(x));
    leaf.key = QSslKey(m_keys->leafKeyPem, QSsl::Ec);
    if (leaf.certificate.isNull() || leaf.key.isNull()) {
        return R(failure("hand a certificate to TLS").error());
    }
    return leaf;
}

} // namespace l402::proxy
