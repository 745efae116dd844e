//! Object storage: the one S3 API client, used for WARC captures (`[captures] url`) and
//! published feeds (`[publish] target`). It wraps the `object_store` crate's S3 store in a
//! small blocking interface scoped to one `s3://bucket/prefix` ([`Bucket`]): keys are
//! relative to the prefix, and every error names the operation and the `s3://bucket/key`.
//!
//! The endpoint and credentials come from the standard AWS environment variables, read once
//! by [`S3Env::from_process`] at the edge and passed in (`AWS_ENDPOINT_URL`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`). Plain `http://` is allowed
//! only for a loopback endpoint (a local MinIO or test server): credentials and captures
//! never cross a network in the clear.
//!
//! The crate is async; callers here are not. Each call runs on a small runtime of its own
//! (one worker thread, started on first use and never dropped) and the caller waits for the
//! answer, so it works the same from plain threads, `spawn_blocking` and async tasks. Retries
//! are few and short: an unreachable bucket fails the command in seconds, and the next run
//! retries. This module knows nothing of WARC or feeds.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
};
use url::Url;

use crate::config::ObjectUrl;

/// Most bytes an object read whole ([`Bucket::get`]) may have.
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// The S3 settings from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Env {
    /// `AWS_ENDPOINT_URL`: empty means AWS itself.
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `AWS_REGION` (else `AWS_DEFAULT_REGION`, else `us-east-1`).
    pub region: Option<String>,
}

impl S3Env {
    /// Reads the standard AWS variables of this process.
    pub fn from_process() -> S3Env {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        S3Env {
            endpoint: var("AWS_ENDPOINT_URL"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
        }
    }
}

/// A failure talking to object storage. Each names the operation and the object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// `AWS_ENDPOINT_URL` is not usable.
    #[error("AWS_ENDPOINT_URL `{endpoint}`: {reason}")]
    Endpoint { endpoint: String, reason: String },
    /// The client for a bucket could not be made.
    #[error("{url}: cannot set up the S3 client: {source}")]
    Setup { url: String, source: object_store::Error },
    /// An operation on an object failed (unreachable endpoint, denied, …).
    #[error("{url}: {op} failed: {source}")]
    Op { op: &'static str, url: String, source: object_store::Error },
    /// A put-if-absent found the object already there.
    #[error("{url}: {op} refused: the object already exists")]
    Exists { op: &'static str, url: String },
    /// A read found no object.
    #[error("{url}: {op}: no such object")]
    NotFound { op: &'static str, url: String },
    /// An object is larger than this reader accepts.
    #[error("{url}: {op}: the object has {size} bytes, more than the {limit} this reads at once")]
    TooLarge { op: &'static str, url: String, size: u64, limit: u64 },
}

/// One object found by [`Bucket::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The key relative to the bucket's prefix.
    pub key: String,
    pub size: u64,
}

/// How an object is served once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served<'a> {
    pub content_type: &'a str,
    pub cache_control: &'a str,
}

/// An `s3://bucket/prefix` location with its client.
#[derive(Debug, Clone)]
pub struct Bucket {
    store: Arc<AmazonS3>,
    url: ObjectUrl,
}

/// The runtime every object call runs on; see the module docs.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("feedkeeper-s3")
            .enable_all()
            .build()
            .expect("cannot start the object storage runtime")
    })
}

/// Runs `fut` on the object runtime and waits for it.
fn wait<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("the object storage runtime stopped")
}

/// Checks `AWS_ENDPOINT_URL`: http(s) only, and plain http only for a loopback host.
/// Returns whether plain http is to be allowed.
pub fn check_endpoint(endpoint: &str) -> Result<bool, ObjectError> {
    let bad = |reason: &str| ObjectError::Endpoint { endpoint: endpoint.to_string(), reason: reason.to_string() };
    let url = Url::parse(endpoint).map_err(|e| bad(&format!("not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(false),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback {
                Ok(true)
            } else {
                Err(bad(
                    "plain http:// is allowed only for a loopback endpoint (127.0.0.1, ::1, localhost); use https://",
                ))
            }
        }
        other => Err(bad(&format!("the scheme `{other}` is not http or https"))),
    }
}

impl Bucket {
    /// A client for `url` with the settings of `env`. Makes no request.
    pub fn open(url: &ObjectUrl, env: &S3Env) -> Result<Bucket, ObjectError> {
        let retry = RetryConfig { max_retries: 2, retry_timeout: Duration::from_secs(10), ..RetryConfig::default() };
        let options =
            ClientOptions::new().with_connect_timeout(Duration::from_secs(5)).with_timeout(Duration::from_secs(120));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&url.bucket)
            .with_region(env.region.as_deref().unwrap_or("us-east-1"))
            .with_retry(retry)
            .with_client_options(options);
        if let Some(endpoint) = &env.endpoint {
            let allow_http = check_endpoint(endpoint)?;
            builder = builder.with_endpoint(endpoint).with_allow_http(allow_http);
        }
        if let Some(key) = &env.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &env.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|source| ObjectError::Setup { url: url.to_string(), source })?;
        Ok(Bucket { store: Arc::new(store), url: url.clone() })
    }

    /// The location this bucket is scoped to.
    pub fn location(&self) -> &ObjectUrl {
        &self.url
    }

    /// The full `s3://bucket/prefix/key` of a key.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}{key}", self.url)
    }

    fn path(&self, key: &str) -> ObjectPath {
        ObjectPath::from(format!("{}{key}", self.url.prefix))
    }

    fn op_err(&self, op: &'static str, key: &str) -> impl FnOnce(object_store::Error) -> ObjectError + use<> {
        let url = self.url_of(key);
        move |source| match source {
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
                ObjectError::Exists { op, url }
            }
            object_store::Error::NotFound { .. } => ObjectError::NotFound { op, url },
            source => ObjectError::Op { op, url, source },
        }
    }

    /// Writes a new object, refusing to replace one that exists (`If-None-Match: *`).
    pub fn put_new(&self, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        let (store, path, err) = (self.store.clone(), self.path(key), self.op_err("put-if-absent", key));
        let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        wait(async move { store.put_opts(&path, PutPayload::from(bytes), opts).await }).map(|_| ()).map_err(err)
    }

    /// Writes (or replaces) an object with its media type and caching policy.
    pub fn put_served(&self, key: &str, bytes: Vec<u8>, served: Served<'_>) -> Result<(), ObjectError> {
        let (store, path, err) = (self.store.clone(), self.path(key), self.op_err("put", key));
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, served.content_type.to_string().into());
        attributes.insert(Attribute::CacheControl, served.cache_control.to_string().into());
        let opts = PutOptions { attributes, ..PutOptions::default() };
        wait(async move { store.put_opts(&path, PutPayload::from(bytes), opts).await }).map(|_| ()).map_err(err)
    }

    /// Reads bytes `range` of an object (a ranged GET).
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, ObjectError> {
        let (store, path, err) = (self.store.clone(), self.path(key), self.op_err("ranged get", key));
        wait(async move { store.get_range(&path, range).await }).map(|b| b.to_vec()).map_err(err)
    }

    /// Reads a whole object of at most [`MAX_OBJECT_BYTES`].
    pub fn get(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        let (store, path, err) = (self.store.clone(), self.path(key), self.op_err("get", key));
        let url = self.url_of(key);
        let got = wait(async move {
            let result = store.get(&path).await?;
            if result.meta.size > MAX_OBJECT_BYTES {
                return Ok(Err(result.meta.size));
            }
            result.bytes().await.map(|b| Ok(b.to_vec()))
        })
        .map_err(err)?;
        got.map_err(|size| ObjectError::TooLarge { op: "get", url, size, limit: MAX_OBJECT_BYTES })
    }

    /// Removes an object (no error when it is already gone).
    pub fn delete(&self, key: &str) -> Result<(), ObjectError> {
        let (store, path, err) = (self.store.clone(), self.path(key), self.op_err("delete", key));
        match wait(async move { store.delete(&path).await }).map_err(err) {
            Ok(()) | Err(ObjectError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every object whose key starts with `under` (relative to the prefix), sorted by key.
    pub fn list(&self, under: &str) -> Result<Vec<Listed>, ObjectError> {
        use futures_util::TryStreamExt;
        let store = self.store.clone();
        let err = self.op_err("list", under);
        let full = format!("{}{under}", self.url.prefix);
        let prefix_len = self.url.prefix.len();
        let listed = wait(async move {
            let path = ObjectPath::from(full.trim_end_matches('/'));
            let path = (!full.is_empty()).then_some(path);
            store.list(path.as_ref()).try_collect::<Vec<_>>().await
        })
        .map_err(err)?;
        let mut out: Vec<Listed> = listed
            .into_iter()
            .filter_map(|m| {
                let key = m.location.as_ref().get(prefix_len..)?.to_string();
                key.starts_with(under).then_some(Listed { key, size: m.size })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

#[cfg(test)]
#[path = "../tests/integration/s3_service.rs"]
pub(crate) mod s3_service;

#[cfg(test)]
pub(crate) fn test_bucket(hint: &str, prefix: &str) -> Bucket {
    let env = S3Env {
        endpoint: Some(s3_service::endpoint()),
        access_key_id: Some(s3_service::ACCESS_KEY.into()),
        secret_access_key: Some(s3_service::SECRET_KEY.into()),
        region: Some(s3_service::REGION.into()),
    };
    let url = ObjectUrl { bucket: s3_service::bucket(hint), prefix: prefix.to_string() };
    Bucket::open(&url, &env).expect("a client for the test bucket")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(check_endpoint("http://127.0.0.1:9000").expect("loopback"));
        assert!(check_endpoint("http://[::1]:9000/").expect("loopback v6"));
        assert!(check_endpoint("http://localhost:9000").expect("localhost"));
        assert!(!check_endpoint("https://s3.example.org").expect("https"));
        let e = check_endpoint("http://minio.internal:9000").expect_err("remote http").to_string();
        assert!(e.contains("AWS_ENDPOINT_URL") && e.contains("loopback"), "{e}");
        assert!(check_endpoint("ftp://127.0.0.1").is_err());
        let url = ObjectUrl { bucket: "caps".into(), prefix: String::new() };
        let env = S3Env { endpoint: Some("http://10.0.0.5:9000".into()), ..S3Env::default() };
        assert!(matches!(Bucket::open(&url, &env), Err(ObjectError::Endpoint { .. })));
    }

    #[test]
    fn put_new_refuses_to_replace_and_reads_back_by_range() {
        let bucket = test_bucket("putnew", "caps/");
        bucket.put_new("a/one.bin", b"0123456789".to_vec()).expect("first put");
        let e = bucket.put_new("a/one.bin", b"other".to_vec()).expect_err("second put-if-absent");
        assert!(matches!(e, ObjectError::Exists { .. }), "{e}");
        assert!(e.to_string().contains(&format!("s3://{}/caps/a/one.bin", bucket.location().bucket)), "{e}");
        assert_eq!(bucket.get_range("a/one.bin", 3..7).expect("range"), b"3456");
        assert_eq!(bucket.get("a/one.bin").expect("get"), b"0123456789");
        let missing = bucket.get_range("a/none.bin", 0..1).expect_err("missing");
        assert!(matches!(missing, ObjectError::NotFound { .. }), "{missing}");
    }

    #[test]
    fn served_objects_keep_type_and_cache_control_and_list_under_the_prefix() {
        let bucket = test_bucket("served", "site/feeds/");
        let served = Served { content_type: "application/atom+xml", cache_control: "max-age=300" };
        bucket.put_served("atom.xml", b"<feed/>".to_vec(), served).expect("put");
        bucket.put_served("tags/x/atom.xml", b"<feed/>".to_vec(), served).expect("put");
        let name = bucket.location().bucket.clone();
        let (status, headers, body) = s3_service::request_full("GET", &format!("/{name}/site/feeds/atom.xml"), &[]);
        assert_eq!((status, body.as_slice()), (200, &b"<feed/>"[..]));
        let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(header("content-type").as_deref(), Some("application/atom+xml"));
        assert_eq!(header("cache-control").as_deref(), Some("max-age=300"));
        let keys: Vec<String> = bucket.list("").expect("list").into_iter().map(|l| l.key).collect();
        assert_eq!(keys, ["atom.xml", "tags/x/atom.xml"]);
        assert_eq!(bucket.list("tags/").expect("list tags").len(), 1);
        bucket.delete("atom.xml").expect("delete");
        bucket.delete("atom.xml").expect("delete again");
        assert_eq!(bucket.list("").expect("list").len(), 1);
    }

    #[test]
    fn an_unreachable_endpoint_names_the_object_and_the_operation() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let env = S3Env {
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
            region: None,
        };
        let bucket = Bucket::open(&ObjectUrl { bucket: "gone".into(), prefix: "p/".into() }, &env).expect("client");
        let e = bucket.put_new("k.warc.gz", b"x".to_vec()).expect_err("nobody listens").to_string();
        assert!(e.contains("s3://gone/p/k.warc.gz") && e.contains("put-if-absent"), "{e}");
    }
}
