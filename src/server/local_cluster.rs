//! [`LocalCluster`]: several embedis-server nodes of one Redis Cluster in this process.

use std::io;
use std::sync::Arc;

use parking_lot::RwLock;

use super::Server;
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
        let topology = Arc::new(RwLock::new(Topology::new(nodes.max(1))));
        let servers = (0..nodes.max(1))
            .map(|me| {
                let node = Arc::new(Cluster::node_of(Arc::clone(&topology), me));
                let store = Store::builder().cluster_node(node).build();
                Server::start(store, "127.0.0.1:0")
            })
            .collect::<io::Result<Vec<Server>>>()?;
        Ok(LocalCluster { servers })
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
