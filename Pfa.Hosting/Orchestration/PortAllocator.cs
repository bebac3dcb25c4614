using System.Net;
using System.Net.Sockets;

namespace Pfa.Hosting.Orchestration;

internal static class PortAllocator
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A free loopback port, never the same twice in this process (two resources could otherwise race for it).</summary>
    public static int GetFreePort()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
                if (Handed.Add(port)) return port;
            }
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds: connections of a just-stopped process lingering in TIME_WAIT (a restart) do not count, a listener does.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
