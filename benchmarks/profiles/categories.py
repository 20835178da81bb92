#!/usr/bin/env python3
"""Shares of named pieces (regexes over frames) in an async-profiler collapsed file: categories.py FILE.collapsed.

The pieces are the ones benchmarks/profiles/README.md reports; a sample counts for a piece when any frame of its stack matches."""
import re,sys
from collections import Counter
def load(p):
    out=[]
    for line in open(p):
        s,_,n=line.rstrip('\n').rpartition(' ')
        out.append((s.split(';'),int(n)))
    return out
st=load(sys.argv[1]); tot=sum(n for _,n in st)



def share(pred):
    return 100*sum(n for f,n in st if pred(f))/tot
print(f"total samples {tot}")
print(f"{share(lambda f: f[-1].endswith('_[k]')):5.1f}% leaf in kernel")
for name,rx in [('GC threads',r'GCTaskThread|ParallelScavenge|PSScavenge|G1|GangWorker|WorkerThread::run'),('JIT compiler',r'CompileBroker|C2Compiler|C1Compiler'),
 ('event loop',r'SingleThreadIoEventLoop.run'),('detection worker',r'dev/moat/detectors/.*Worker|DetectionEngine'),
 ('HTTP decoding (HttpObjectDecoder.decode, self+children)',r'HttpObjectDecoder.decode$'),
 ('HTTP encoding (HttpObjectEncoder)',r'HttpObjectEncoder.encode$|HttpObjectEncoder.write$'),
 ('writev/flush',r'AbstractChannel\$AbstractUnsafe.flush0'),('read from socket (doReadBytes)',r'doReadBytes'),
 ('RequestGate.admit',r'RequestGate.admit'),('  KeyStore.authenticate',r'KeyStore.authenticate'),('  RateLimiter.tryConsume',r'RateLimiter.tryConsume'),('  Caffeine getIfPresent (bucket map)',r'LocalManualCache.getIfPresent'),('  Bucket4j consume',r'tryConsumeAndReturnRemaining'),
 ('HttpHeaderRules.prepareRequest',r'prepareRequest'),('HttpHeaderRules.prepareResponse',r'prepareResponse'),('  RateLimitHeaders.write',r'RateLimitHeaders.write'),
 ('ResourceLeakDetector',r'ResourceLeakDetector'),('MoatMetrics',r'MoatMetrics'),('schedule/cancel timers',r'AbstractScheduledEventExecutor.schedule$|ScheduledFutureTask.cancel'),
 ('FixedChannelPool acquire/release',r'FixedChannelPool.acquire$|FixedChannelPool.release$|SimpleChannelPool.release$'),
 ('Caffeine maintenance (ForkJoin)',r'PerformCleanupTask'),
 ('policy stage onRequest (request JSON read)',r'AnswerProcessor.onRequest'),('  JsonBodies.read',r'JsonBodies.read'),('policy stage process (answer)',r'AnswerProcessor.process'),('  parseAnswer',r'parseAnswer'),('  writeAnswer',r'writeAnswer'),('  outputs (transforms+watermark)',r'OutputChain.apply|outputs\(\)\.apply|Watermark'),('Defences.observe',r'Defen[cs]es.observe'),
 ('detectors (worker)',r'dev/moat/detectors/'),('  PradaDetector.update',r'PradaDetector.update$'),('    sign-step test (PradaDetector.isStep)',r'PradaDetector.isStep$'),
 ('    nearest stored query (PradaDetector.nearestSquared)',r'PradaDetector.nearestSquared$'),('  CoverageDetector.update',r'CoverageDetector.update$'),
 ('watermark selection (Watermarker)',r'watermark/Watermarker'),('numbers written by Jackson (NumberOutput.toString)',r'NumberOutput.toString$'),('FastDoubleParser',r'fastdoubleparser|FastDoubleParser|JavaDoubleParser'),
 ]:
    rx=re.compile(rx)
    print(f"{share(lambda f: any(rx.search(x) for x in f)):5.1f}% {name}")
