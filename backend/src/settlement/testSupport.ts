/**
 * Settlement actions on a test chain, as a seller and buyers do them with viem: approve the escrow,
 * mint test stablecoin, sign orders, fill, agree, release on a quorum attestation, refund, cancel.
 * Test support only.
 */
import { maxUint256, parseEventLogs, zeroAddress, type Address, type Hash, type Hex, type PrivateKeyAccount, type TransactionReceipt } from "viem";
import { carbonCreditAbi, settlementEscrowAbi, testStablecoinAbi } from "../chain/abis";
import { walletClientFor } from "../chain/clients";
import { ledgerActions, testClaim, testRef, type TestChain } from "../testing";
import { ORDER_TYPES, orderHash, orderTuple, settlementDomain, type Order } from "./order";

export interface LockedTrade {
  readonly tradeId: Hash;
  readonly trade: {
    orderHash: Hex;
    seller: Address;
    buyer: Address;
    batchId: bigint;
    quantity: bigint;
    orderOffset: bigint;
    releaseDeadline: bigint;
    amount: bigint;
    fee: bigint;
    lockSlot: number;
  };
  readonly receipt: TransactionReceipt;
}

export function settlementActions(chain: TestChain) {
  const escrow = chain.deployment.contracts.escrow!;
  const stablecoin = chain.deployment.contracts.stablecoin!;
  const ledger = ledgerActions(chain);
  const wallet = (account: PrivateKeyAccount) => walletClientFor(chain.rpcUrl, chain.chainId, account);
  const confirmed = async (hash: Hash): Promise<TransactionReceipt> => {
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };

  return {
    escrow,
    /** The seller lets the escrow move their credits. */
    async approveEscrow(seller: PrivateKeyAccount): Promise<void> {
      await confirmed(
        await wallet(seller).writeContract({ address: chain.deployment.contracts.credit, abi: carbonCreditAbi, functionName: "setApprovalForAll", args: [escrow, true] }),
      );
    },
    /** Mints stablecoin to `buyer` (the admin is the faucet) and approves the escrow for the maximum. */
    async fund(buyer: PrivateKeyAccount, amount: bigint): Promise<void> {
      await confirmed(await wallet(chain.admin).writeContract({ address: stablecoin, abi: testStablecoinAbi, functionName: "mint", args: [buyer.address, amount] }));
      await confirmed(await wallet(buyer).writeContract({ address: stablecoin, abi: testStablecoinAbi, functionName: "approve", args: [escrow, maxUint256] }));
    },
    async stableBalance(account: Address): Promise<bigint> {
      return chain.publicClient.readContract({ address: stablecoin, abi: testStablecoinAbi, functionName: "balanceOf", args: [account] });
    },
    /** An order of `seller` (defaults: 100 t at 12.50 USD, atomic, one day, current counter). */
    async order(seller: Address, batchId: bigint, overrides: Partial<Order> = {}): Promise<Order> {
      const counter = await chain.publicClient.readContract({ address: escrow, abi: settlementEscrowAbi, functionName: "counterOf", args: [seller] });
      return {
        seller,
        batchId,
        quantity: 100n,
        pricePerTonne: 12_500_000n,
        minFill: 1n,
        expiry: (await ledger.latestTimestamp()) + 86_400n,
        salt: BigInt(Math.floor(Math.random() * 2 ** 48)),
        counter,
        buyer: zeroAddress,
        mode: "atomic",
        ...overrides,
      };
    },
    async sign(signer: PrivateKeyAccount, order: Order, opts: { chainId?: number; escrow?: Address } = {}): Promise<Hex> {
      return signer.signTypedData({
        domain: settlementDomain(opts.chainId ?? chain.chainId, opts.escrow ?? escrow),
        types: ORDER_TYPES,
        primaryType: "Order",
        message: orderTuple(order),
      });
    },
    hash(order: Order): Hex {
      return orderHash(order, chain.chainId, escrow);
    },
    async fill(buyer: PrivateKeyAccount, order: Order, signature: Hex, quantity: bigint): Promise<TransactionReceipt> {
      return confirmed(
        await wallet(buyer).writeContract({ address: escrow, abi: settlementEscrowAbi, functionName: "fill", args: [orderTuple(order), signature, quantity] }),
      );
    },
    async fillAndRetire(buyer: PrivateKeyAccount, order: Order, signature: Hex, quantity: bigint): Promise<TransactionReceipt> {
      return confirmed(
        await wallet(buyer).writeContract({
          address: escrow,
          abi: settlementEscrowAbi,
          functionName: "fillAndRetire",
          args: [orderTuple(order), signature, quantity, testClaim({ beneficiaryName: "Buyer AG" })],
        }),
      );
    },
    async agree(buyer: PrivateKeyAccount, order: Order, signature: Hex, quantity: bigint, window = 3_600n): Promise<LockedTrade> {
      const releaseDeadline = (await ledger.latestTimestamp()) + window;
      const lockSlot = await chain.publicClient.readContract({ address: escrow, abi: settlementEscrowAbi, functionName: "freeLockSlot", args: [buyer.address] });
      const receipt = await confirmed(
        await wallet(buyer).writeContract({
          address: escrow,
          abi: settlementEscrowAbi,
          functionName: "agree",
          args: [orderTuple(order), signature, quantity, releaseDeadline, lockSlot],
        }),
      );
      const [locked] = parseEventLogs({ abi: settlementEscrowAbi, eventName: "TradeLocked", logs: receipt.logs });
      if (locked === undefined) throw new Error("no TradeLocked event");
      return { tradeId: locked.args.tradeId, trade: { ...locked.args.trade }, receipt };
    },
    async release(locked: LockedTrade, registryRef: Hex = testRef(`delivery-${locked.tradeId}`)): Promise<TransactionReceipt> {
      const { message, signatures } = await ledger.attest("TradeConfirmation", { tradeId: locked.tradeId, registryRef });
      return confirmed(
        await wallet(chain.users[15]).writeContract({
          address: escrow,
          abi: settlementEscrowAbi,
          functionName: "release",
          args: [locked.trade, registryRef, message.epoch, message.deadline, signatures],
        }),
      );
    },
    async refund(locked: LockedTrade, caller: PrivateKeyAccount): Promise<TransactionReceipt> {
      return confirmed(await wallet(caller).writeContract({ address: escrow, abi: settlementEscrowAbi, functionName: "refund", args: [locked.trade] }));
    },
    async cancel(seller: PrivateKeyAccount, order: Order): Promise<TransactionReceipt> {
      return confirmed(await wallet(seller).writeContract({ address: escrow, abi: settlementEscrowAbi, functionName: "cancel", args: [orderTuple(order)] }));
    },
    async incrementCounter(seller: PrivateKeyAccount): Promise<TransactionReceipt> {
      return confirmed(await wallet(seller).writeContract({ address: escrow, abi: settlementEscrowAbi, functionName: "incrementCounter" }));
    },
  };
}

export type SettlementActions = ReturnType<typeof settlementActions>;
