package net.poolsa.ike;

import java.util.List;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.SecurityPolicy;

/** An {@link IpsecKernel} that counts SPI reservations and releases on their way to the real one. */
final class CountingKernel implements IpsecKernel {
    private final IpsecKernel kernel;
    int allocated;
    int released;
    int installed;

    CountingKernel(IpsecKernel kernel) {
        this.kernel = kernel;
    }

    /** SPIs reserved and neither released nor taken by an installed inbound SA. */
    int held() {
        return allocated - released - installed;
    }

    @Override
    public int allocateSpi() {
        allocated++;
        return kernel.allocateSpi();
    }

    @Override
    public void releaseSpi(int spi) {
        released++;
        kernel.releaseSpi(spi);
    }

    @Override
    public void addSa(SecurityAssociation sa) {
        kernel.addSa(sa);
        if (sa.direction() == Direction.INBOUND) {
            installed++;
        }
    }

    @Override
    public boolean deleteSa(Direction direction, int spi, IpsecProtocol protocol, int reqid) {
        return kernel.deleteSa(direction, spi, protocol, reqid);
    }

    @Override
    public List<SecurityAssociation> listSas() {
        return kernel.listSas();
    }

    @Override
    public void addPolicy(SecurityPolicy policy) {
        kernel.addPolicy(policy);
    }

    @Override
    public boolean deletePolicy(String id) {
        return kernel.deletePolicy(id);
    }

    @Override
    public void setListener(KernelListener listener) {
        kernel.setListener(listener);
    }
}
