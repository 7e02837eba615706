//! [`LocalCluster`]: several embedis-server nodes of one Redis Cluster in this process.

use std::io;
use std::sync::Arc;

use parking_lot::RwLock;

use super::{Config, Server, Stopper};
use crate::cluster::{Cluster, Topology};
use crate::store::Store;

/// A Redis Cluster of several embedis-server nodes in this process, each a store behind its
/// own loopback port, with the 16384 slots split among them as `redis-cli --cluster create`
/// splits them — so a cluster client meets what it meets on a real cluster: `MOVED` for a key
/// another node serves, and during a resharding the test drives (CLUSTER SETSLOT … MIGRATING /
/// IMPORTING / NODE, MIGRATE, ASKING), `ASK` and `TRYAGAIN`.
///
/// The nodes share one view of the cluster (what one node is told, every node knows at once,
/// as if their bus were instantaneous); each is a master without replicas.
///
/// ```
/// use std::io::{Read, Write};
/// use embedis::server::LocalCluster;
///
/// let cluster = LocalCluster::start(3)?;
/// assert_eq!(cluster.servers().len(), 3);
/// // "foo" is in slot 12182, which the third node serves: the first one redirects.
/// let mut client = std::net::TcpStream::connect(cluster.servers()[0].addr())?;
/// client.write_all(b"GET foo\r\n")?;
/// let mut reply = vec![0u8; 64];
/// let n = client.read(&mut reply)?;
/// let third = cluster.servers()[2].addr().port();
/// assert_eq!(String::from_utf8_lossy(&reply[..n]), format!("-MOVED 12182 127.0.0.1:{third}\r\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LocalCluster {
    servers: Vec<Server>,
}

impl LocalCluster {
    /// Starts `nodes` nodes (at least one) on free ports of 127.0.0.1.
    pub fn start(nodes: usize) -> io::Result<LocalCluster> {
        LocalCluster::start_with(nodes, "127.0.0.1", 0, Config::default())
    }

    /// Starts `nodes` nodes (at least one) listening on `bind` at `first_port`, `first_port + 1`,
    /// … (free ports when `first_port` is 0), each with `config` — which may not name a `dir`:
    /// the nodes would share its file. Clients are sent to the nodes at `bind`'s address (at
    /// 127.0.0.1 when it is every address, `0.0.0.0`).
    ///
    /// ```
    /// use embedis::server::{Config, LocalCluster};
    /// let cluster = LocalCluster::start_with(3, "127.0.0.1", 0, Config::default().requirepass("pw"))?;
    /// assert_eq!(cluster.servers().len(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_with(nodes: usize, bind: &str, first_port: u16, config: Config) -> io::Result<LocalCluster> {
        if config.dir.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the nodes of a LocalCluster cannot persist in one directory",
            ));
        }
        let count = nodes.max(1);
        let topology = Arc::new(RwLock::new(Topology::new(count)));
        let mut servers = Vec::with_capacity(count);
        for me in 0..count {
            let node = Arc::new(Cluster::node_of(Arc::clone(&topology), me));
            let store = Store::builder().cluster_node(Arc::clone(&node)).build();
            let port = if first_port == 0 {
                0
            } else {
                first_port.saturating_add(me as u16)
            };
            let server = Server::start_with(store, (bind, port), config.clone())?;
            if count > 1 && !server.addr().ip().is_unspecified() {
                node.set_ip(server.addr().ip().to_string());
            }
            servers.push(server);
        }
        Ok(LocalCluster { servers })
    }

    /// Blocks until every node has stopped (each by a client's SHUTDOWN, or a [`Stopper`]).
    ///
    /// ```
    /// let cluster = embedis::server::LocalCluster::start(2)?;
    /// cluster.stoppers().iter().for_each(|stopper| stopper.stop());
    /// cluster.wait();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&self) {
        self.servers.iter().for_each(Server::wait);
    }

    /// A [`Stopper`] for each node.
    ///
    /// ```
    /// let cluster = embedis::server::LocalCluster::start(2)?;
    /// assert_eq!(cluster.stoppers().len(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stoppers(&self) -> Vec<Stopper> {
        self.servers.iter().map(Server::stopper).collect()
    }

    /// The nodes, in the order of their slots (the first serves slot 0).
    ///
    /// ```
    /// let cluster = embedis::server::LocalCluster::start(2)?;
    /// let node = &cluster.servers()[1];
    /// assert!(node.addr().ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// `redis://127.0.0.1:<port>` of every node, for a cluster client's seed list.
    ///
    /// ```
    /// let cluster = embedis::server::LocalCluster::start(3)?;
    /// assert_eq!(cluster.urls().len(), 3);
    /// assert!(cluster.urls()[0].starts_with("redis://127.0.0.1:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn urls(&self) -> Vec<String> {
        self.servers.iter().map(Server::url).collect()
    }

    /// Stops every node (also on drop).
    ///
    /// ```
    /// embedis::server::LocalCluster::start(2)?.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(self) {
        self.servers.into_iter().for_each(Server::stop);
    }
}

impl std::fmt::Debug for LocalCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCluster")
            .field("nodes", &self.servers.iter().map(Server::addr).collect::<Vec<_>>())
            .finish()
    }
}
