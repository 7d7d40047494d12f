package net.poolsa.appliance.control;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The local control socket, in the manner of strongSwan's VICI socket: a Unix stream socket served by
 * Netty's epoll domain-socket channel, speaking {@link ControlProtocol}. Mode 0660, group {@value #GROUP}
 * when that group exists, owned by the user poolsa runs as. One instance per path: the instance holds an
 * exclusive lock on {@code PATH.lock} (with its pid inside) for its lifetime, so a second instance is
 * refused, and a socket file left by a crashed instance (no lock holder, nobody answering) is replaced.
 * The socket file is removed at {@link #close()}; the lock file stays (removing it would let two
 * instances lock two different files).
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** Where {@code poolsa run} listens and the CLI connects unless told otherwise. */
    public static final String DEFAULT_PATH_NAME = "/run/poolsa/poolsa.ctl";
    public static final Path DEFAULT_PATH = Path.of(DEFAULT_PATH_NAME);
    /** The group whose members may use the socket. */
    public static final String GROUP = "poolsa";
    static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> LOCK_MODE = PosixFilePermissions.fromString("rw-r-----");
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final FileChannel lockFile;
    private final MultiThreadIoEventLoopGroup group;
    private Channel server;
    private boolean closed;

    /** Another process serves this path; the message names it. */
    public static final class AlreadyRunningException extends IOException {
        AlreadyRunningException(String message) {
            super(message);
        }
    }

    private ControlServer(Path path, FileChannel lockFile) {
        this.path = path;
        this.lockFile = lockFile;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("poolsa-control", true),
                EpollIoHandler.newFactory());
    }

    /**
     * Takes the lock, replaces a stale socket file, binds, sets mode and group.
     *
     * @throws AlreadyRunningException when another instance holds the lock or answers on the socket
     * @throws IOException             when the path is something other than a socket, or cannot be bound
     */
    public static ControlServer start(Path path, ControlCommands commands) throws IOException {
        Path socket = path.toAbsolutePath();
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, DIRECTORY_MODE);
            setGroup(dir);
        }
        FileChannel lockFile = lock(socket.resolveSibling(socket.getFileName() + ".lock"));
        ControlServer s = new ControlServer(socket, lockFile);
        try {
            s.replaceStale();
            s.bind(commands);
            Files.setPosixFilePermissions(socket, SOCKET_MODE);
            String group = setGroup(socket);
            LOG.info("event=control_socket_listening path={} mode=0660 group={}", socket, group);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static FileChannel lock(Path lockPath) throws IOException {
        // The mode applies only when the file is created.
        FileChannel fc = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(LOCK_MODE));
        FileLock l;
        try {
            l = fc.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this very process (a second appliance in one JVM)
        } catch (IOException | RuntimeException e) {
            fc.close();
            throw e;
        }
        if (l == null) {
            String holder;
            try {
                holder = new String(Files.readAllBytes(lockPath), StandardCharsets.US_ASCII).trim();
            } catch (IOException e) {
                holder = "?";
            }
            fc.close();
            throw new AlreadyRunningException("another poolsa instance (pid " + (holder.isEmpty() ? "?" : holder)
                    + ") holds " + lockPath + "; refusing to start a second one");
        }
        fc.truncate(0);
        fc.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        fc.force(false);
        return fc;
    }

    /**
     * With the lock held, an existing socket file is a crashed instance's, unless someone answers on it.
     * These checks must come before the bind: Netty's native domain-socket bind unlinks whatever is at the
     * path (seen: a regular file there was replaced without a word).
     */
    private void replaceStale() throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException(path + " exists and is not a socket; refusing to replace it");
        }
        if (answers(path)) {
            throw new AlreadyRunningException("a process answers on " + path + " without holding its lock file; "
                    + "refusing to replace it");
        }
        Files.delete(path);
        LOG.warn("event=control_socket_stale_removed path={}", path);
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (ConnectException e) {
            return false; // ECONNREFUSED: a socket file nobody listens on
        } catch (IOException e) {
            return false;
        }
    }

    private void bind(ControlCommands commands) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                // A client may shut down its sending side after the request and still read the answer.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(ControlProtocol.MAX_REQUEST_BYTES, true, true),
                                new ControlHandler(commands));
                    }
                });
        io.netty.channel.ChannelFuture f = b.bind(new DomainSocketAddress(path.toFile())).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cannot listen on the control socket " + path + ": " + f.cause().getMessage(), f.cause());
        }
        server = f.channel();
    }

    /** Gives {@code p} to group {@value #GROUP} if it exists; returns the group name the file ends up with. */
    private static String setGroup(Path p) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        try {
            GroupPrincipal g = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(GROUP);
            view.setGroup(g);
        } catch (UserPrincipalNotFoundException e) {
            LOG.info("event=control_socket_group_absent group={} path={}", GROUP, p);
        } catch (FileSystemException e) {
            // Not root and not a member of the group: the file keeps our primary group.
            LOG.warn("event=control_socket_group_unchanged group={} path={} error=\"{}\"", GROUP, p, e.getMessage());
        }
        return view.readAttributes().group().getName();
    }

    public Path path() {
        return path;
    }

    /** Stops listening, closes open connections, removes the socket file and releases the lock. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (server != null) {
            server.close().awaitUninterruptibly();
            try {
                // Netty removes the file when the channel closes; make sure, while the lock is still ours.
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("event=control_socket_not_removed path={} error=\"{}\"", path, e.getMessage());
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        try {
            lockFile.close(); // releases the lock
        } catch (IOException e) {
            LOG.warn("event=control_lock_not_released path={} error=\"{}\"", path, e.getMessage());
        }
        if (server != null) {
            LOG.info("event=control_socket_closed path={}", path);
        }
    }
}
